/**
 * Prints one plain closing line after Jest's own summary ("Tests: N passed, N failed"),
 * the form CI tooling reads regardless of the test runner.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const suitesFailedToRun = results.numRuntimeErrorTestSuites;
    const failed = results.numFailedTests + suitesFailedToRun;
    process.stdout.write(`\nTests: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
module.exports = SummaryReporter;
