import type { QuarantinedRecord } from '../sinks/sink';

/** Quarantined records as an operator reads them: where each came from and why, one line per issue. */
export function formatQuarantine(records: QuarantinedRecord[]): string {
  if (records.length === 0) return 'no quarantined records';
  const lines = [`${records.length} quarantined record(s)`];
  for (const r of records) {
    const where = `${r.traversal} run ${r.runId} page ${r.pageNumber} record ${r.recordIndex + 1}`;
    const key = r.key === null ? 'no key' : `key ${r.key}`;
    const readmitted = r.readmittedRun === null ? '' : ` — re-admitted by run ${r.readmittedRun}`;
    lines.push(`  ${r.resource} ${key} (${where})${readmitted}`);
    for (const issue of r.issues.length > 0 ? r.issues : [{ path: '(record)', message: r.reason }]) lines.push(`    ${issue.path}: ${issue.message}`);
  }
  return lines.join('\n');
}
