/**
 * A jest reporter beside the default one: one plain line `N passed, N failed` (and `, N skipped` when some were)
 * that closes the run's output, for CI to read as its outcome. A test file that could not run at all (it failed to
 * load, or a hook threw before its tests were counted) counts as one failure.
 */
class PassFailLine {
  /** @param {unknown} _contexts @param {import('@jest/test-result').AggregatedResult} results */
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`;
    // jest adds its summary reporter after every configured one, so the line waits for the process to end.
    process.once('exit', () => process.stderr.write(line));
  }
}

module.exports = PassFailLine;
