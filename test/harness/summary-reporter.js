const { writeFileSync } = require('node:fs');

/**
 * Prints one plain closing line after Jest's own summary ("Tests: N passed, N failed"),
 * the form CI tooling reads regardless of the test runner. bin/test repeats it as the last line
 * of its output (MFA_TEST_SUMMARY_FILE), after what the global teardown prints.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const suitesFailedToRun = results.numRuntimeErrorTestSuites;
    const failed = results.numFailedTests + suitesFailedToRun;
    const line = `Tests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.stdout.write(`\n${line}\n`);
    if (process.env.MFA_TEST_SUMMARY_FILE) writeFileSync(process.env.MFA_TEST_SUMMARY_FILE, `${line}\n`);
  }
}
module.exports = SummaryReporter;
