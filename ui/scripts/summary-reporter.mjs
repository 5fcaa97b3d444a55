// Prints one plain closing line, "ui: N passed, N failed[, N skipped]", after vitest's own
// report, so a CI log reader that knows no vitest still sees what ran.

/** @typedef {import('vitest/reporters').Reporter} Reporter */

/** @implements {Reporter} */
export default class SummaryReporter {
  /**
   * @param {ReadonlyArray<import('vitest/node').TestModule>} testModules
   * @param {ReadonlyArray<unknown>} unhandledErrors
   */
  onTestRunEnd(testModules, unhandledErrors) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else skipped += 1;
      }
    }
    // A module that failed to load has no tests but is still a failure.
    failed += testModules.filter((m) => m.state() === 'failed' && [...m.children.allTests()].length === 0).length;
    failed += unhandledErrors.length;
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`\nui: ${passed} passed, ${failed} failed${tail}\n`);
  }
}
