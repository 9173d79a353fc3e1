import type { FlaggedDeletion } from '../sinks/deletion-ledger';

/** The review list: each flagged row, the last run that saw it, and what was applied. */
export function formatDeletions(flagged: FlaggedDeletion[], applied?: Record<string, number>): string {
  const lines = [flagged.length === 0 ? 'no rows flagged as deleted' : `${flagged.length} row(s) flagged as deleted at the source`];
  for (const f of flagged) {
    const status = f.status === 'flagged' ? '' : ` [${f.status}]`;
    lines.push(`  ${f.resource} key ${f.key}: last seen by run ${f.lastSeenRun} at ${f.lastSeenAt}; flagged by run ${f.flaggedRun}${status}`);
  }
  for (const [resource, count] of Object.entries(applied ?? {})) lines.push(`applied: ${count} row(s) of ${resource} soft-deleted (_deleted_at set)`);
  return lines.join('\n');
}
