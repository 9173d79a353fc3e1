import type { ResetOutcome, ResourceState } from '../sinks/incremental-state';

/** `lms-export state` as text: one block per resource. */
export function formatStates(states: ResourceState[]): string {
  return states
    .map((s) => {
      const mark = s.highWater === null ? 'none' : `${s.highWater.cursorField} = ${s.highWater.value} (saved ${s.highWater.savedAt} by run ${s.highWater.runId})`;
      const run = s.lastCompleteRun === null ? 'none' : `${s.lastCompleteRun.runId}, ${s.lastCompleteRun.verdict}, ${s.lastCompleteRun.storedRows} rows, ${s.lastCompleteRun.assessedAt}`;
      const scan = s.lastDeletionScan === null ? 'never' : `${s.lastDeletionScan.scannedAt}, ${s.lastDeletionScan.outcome} (run ${s.lastDeletionScan.runId}): ${s.lastDeletionScan.detail}`;
      const next = s.cursorField === null ? 'full (not incremental)' : s.nextRunIncremental ? 'incremental, from the high-water mark' : 'full traversal';
      return [`${s.resource}:`, `  high-water mark: ${mark}`, `  last complete run: ${run}`, `  last deletion scan: ${scan}`, `  next run: ${next}`].join('\n');
    })
    .join('\n');
}

export function formatReset(outcome: ResetOutcome): string {
  const what = outcome.cleared === null ? 'had no high-water mark' : `high-water mark ${outcome.cleared.cursorField} = ${outcome.cleared.value} cleared`;
  return `${outcome.resource}: ${what}; its next run traverses everything (recorded in _lms_actions as ${outcome.actedBy})`;
}
