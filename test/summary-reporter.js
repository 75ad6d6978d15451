/** Prints one plain closing line that any CI log reader understands. */
export default class SummaryReporter {
  onRunComplete(_contexts, r) {
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
  }
}
