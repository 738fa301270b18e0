const { writeFileSync } = require('node:fs');

/**
 * Records Jest's own summary lines ("Test Suites: …" and "Tests: …", in Jest's format) in
 * MFA_TEST_SUMMARY_FILE. bin/test prints them again as the last lines of its output, after what
 * the global teardown (index coverage) and Jest's force-exit notice print, so the output ends with
 * the test runner's summary line.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    if (!process.env.MFA_TEST_SUMMARY_FILE) return;
    const suites = counts([
      ['failed', results.numFailedTestSuites],
      ['pending', results.numPendingTestSuites],
      ['passed', results.numPassedTestSuites],
      ['total', results.numTotalTestSuites],
    ]);
    const tests = counts([
      ['failed', results.numFailedTests],
      ['skipped', results.numPendingTests],
      ['todo', results.numTodoTests],
      ['passed', results.numPassedTests],
      ['total', results.numTotalTests],
    ]);
    writeFileSync(process.env.MFA_TEST_SUMMARY_FILE, `Test Suites: ${suites}\nTests:       ${tests}\n`);
  }
}

/** Jest's wording: only non-zero counts, the total always. */
function counts(entries) {
  return entries
    .filter(([label, n]) => n > 0 || label === 'total')
    .map(([label, n]) => `${n} ${label}`)
    .join(', ');
}

module.exports = SummaryReporter;
