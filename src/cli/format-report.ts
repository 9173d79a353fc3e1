import { INVALID_UTF8_NOTICE } from '../activities/invalid-utf8-notice';
import type { CompletenessFindings } from '../integrity/verdict';
import type { ResourceReport, RunReport } from '../workflows/report';
import { lostTime, type Waits } from '../workflows/waits';

function describeFindings(findings: CompletenessFindings): string {
  const lines: string[] = [];
  const { count } = findings;
  if (count !== null) lines.push(`count: ${count.seen} seen of ${count.expectedAtEnd} announced (${count.missing} short, ${count.allowed} allowed for live changes)`);
  for (const gap of findings.gaps ?? []) lines.push(`gap: ids ${gap.from}–${gap.to} (${gap.missing}) missing`);
  for (const check of findings.spotChecks) {
    lines.push(check.error ? `spot check page ${check.page}: not verified, ${check.unverified ?? 'could not re-fetch'} (${check.error})` : `spot check page ${check.page}: ${check.keys - check.notStored}/${check.keys} keys stored`);
  }
  for (const drift of findings.drift) lines.push(`drift: ${drift.kind} ${drift.field}${drift.page === null ? '' : ` on page ${drift.page}`} (${drift.example})`);
  return lines.map((line) => `\n      ${line}`).join('');
}

/** Causes in `waits.retries` that count what was put up with, not a retry: said on their own line. */
const REPAIRS: Record<string, string> = {
  [INVALID_UTF8_NOTICE]: 'page(s) held bytes that are not UTF-8, stored as U+FFFD',
};

function retriesOf(retries: Record<string, number>): Array<[string, number]> {
  return Object.entries(retries).filter(([cause]) => !Object.hasOwn(REPAIRS, cause));
}

function describeRepairs(retries: Record<string, number>): string {
  return Object.entries(retries)
    .filter(([cause]) => Object.hasOwn(REPAIRS, cause))
    .map(([cause, n]) => `\n    repaired: ${n} ${REPAIRS[cause]}`)
    .join('');
}

/** Where the time went besides work, by cause ("4.0 s backoff after failures, 2.0 s failed requests"); '' when nothing was lost. */
export function describeLostTime(waits: Waits): string {
  return lostTime(waits)
    .filter(([, ms]) => ms > 0)
    .map(([what, ms]) => `${(ms / 1000).toFixed(1)} s ${what}`)
    .join(', ');
}

/** A resource's wall time split into what was lost (and to what) and the rest, which is work. */
function describeTime(r: ResourceReport): string {
  const lost = describeLostTime(r.waits);
  if (lost === '' || r.durationMs === null) return '';
  const lostMs = lostTime(r.waits).reduce((sum, [, ms]) => sum + ms, 0);
  // Parallel partitions and parents each lose time of their own: their sum can pass the resource's wall time.
  const parallel = r.partitions !== undefined || r.parents !== undefined;
  const rest = parallel ? '' : `; ${(Math.max(0, r.durationMs - lostMs) / 1000).toFixed(1)} s work (requests answered, staging, storing)`;
  return `\n    time: ${(r.durationMs / 1000).toFixed(1)} s; lost ${lost}${parallel ? ' (summed over its parallel traversals)' : ''}${rest}`;
}

/** The run report as an operator reads it in a terminal. */
export function formatReport(report: RunReport): string {
  const lines = [`export ${report.spec} (${report.workflowId}, run ${report.runId}): ${report.status}`];
  for (const r of report.resources) {
    const seconds = r.durationMs === null ? '?' : (r.durationMs / 1000).toFixed(1);
    lines.push(
      `  ${r.resource}: ${r.status} — ${r.pages} pages, ${r.recordsFetched} records fetched; ` +
        `${r.inserted} inserted, ${r.updated} updated, ${r.unchanged} unchanged, ${r.quarantined} quarantined; ${seconds}s` +
        (r.incrementalSince ? `\n    incremental: rows changed since ${r.incrementalSince}` : '') +
        (r.highWater !== undefined ? `\n    high-water mark for the next run: ${r.highWater ?? 'none yet'}` : '') +
        (r.firstInvalid ? `\n    first invalid record: ${r.firstInvalid} (lms-export quarantine <spec> --resource ${r.resource})` : '') +
        (r.paging ? `\n    paging: ${r.paging.mode} — ${r.paging.reason}` : '') +
        (r.expectedAtStart !== null ? `\n    API total: ${r.expectedAtStart} at start, ${r.expectedAtEnd} at end` : '') +
        (r.reconciliation ? `\n    second pass (positional paging): ${r.reconciliation.inserted} rows the first pass missed, ${r.reconciliation.updated} changed meanwhile` : '') +
        (retriesOf(r.waits.retries).length > 0
          ? `\n    retried: ${retriesOf(r.waits.retries).map(([cause, n]) => `${n} × ${cause}`).join(', ')}; ${r.waits.throttled} throttled; ${(r.waits.waitedMs / 1000).toFixed(1)} s waiting`
          : '') +
        describeRepairs(r.waits.retries) +
        describeTime(r) +
        (r.circuitOpenings > 0 ? `\n    circuit opened ${r.circuitOpenings} time(s) while the source kept failing` : '') +
        (r.cursorRecoveries > 0 ? `\n    restarted ${r.cursorRecoveries} time(s) after the server rejected its cursor` : '') +
        (r.partitions ? `\n    ${r.partitions.length} partitions` : '') +
        (r.parents
          ? `\n    parents: ${r.parents.done} of ${r.parents.total} traversed, ${r.parents.goneCount} gone, ${r.parents.failedCount} failed` +
            r.parents.gone.map((g) => `\n      gone ${g.key}: ${g.reason}`).join('') +
            r.parents.failed.map((f) => `\n      failed ${f.key}: ${f.reason}`).join('')
          : '') +
        (r.completeness ? `\n    verdict: ${r.completeness.verdict}${describeFindings(r.completeness.findings)}` : '') +
        (r.updateScan ? `\n    update scan since ${r.updateScan.since}: ${r.updateScan.status}, ${r.updateScan.inserted + r.updateScan.updated} rows touched (${r.updateScan.inserted} new, ${r.updateScan.updated} changed) in ${r.updateScan.pages} pages` : '') +
        (r.deletionScan ? `\n    deletion scan: ${r.deletionScan.outcome} — ${r.deletionScan.detail}` : '') +
        (r.error ? `\n    error: ${r.error}` : ''),
    );
  }
  return lines.join('\n');
}
