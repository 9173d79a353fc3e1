import { describeLostTime } from './format-report';
import type { LiveResource } from './live-progress';
import type { RetryingActivity } from '../client/run-status';

/** Rate and time left of a resource's current phase, from what it had done when its figures were taken. */
export interface Pace {
  recordsPerSecond: number | null;
  /** Seconds until `progress.total` at the pace so far, or null with no total or no pace yet. */
  etaSeconds: number | null;
}

export function paceOf(r: LiveResource, now: number): Pace {
  const asOf = r.asOf === null ? now : Date.parse(r.asOf);
  const elapsed = r.startedAt === null ? 0 : (asOf - Date.parse(r.startedAt)) / 1000;
  if (!(elapsed > 0)) return { recordsPerSecond: null, etaSeconds: null };
  const recordsPerSecond = r.records === null ? null : r.records / elapsed;
  const done = r.progress?.done ?? 0;
  const left = r.progress === null || done === 0 ? null : (Math.max(0, r.progress.total - done) * elapsed) / done;
  // Figures are published every few seconds: the time since they were taken is already spent.
  return { recordsPerSecond, etaSeconds: left === null ? null : Math.max(0, left - Math.max(0, now - asOf) / 1000) };
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** `1200/5000 records (24%)`, `3/8 parents (37%)`, or a plain counter `1200 records` when no total is known. */
export function describeAmount(r: LiveResource): string {
  if (r.progress !== null) {
    const { done, total, unit } = r.progress;
    const percent = total === 0 ? 100 : Math.min(100, Math.floor((done / total) * 100));
    const records = unit === 'records' || r.records === null ? '' : `, ${r.records} records`;
    return `${done}/${total} ${unit} (${percent}%)${records}`;
  }
  return r.records === null ? '' : `${r.records} records`;
}

/** Everything after the amount: pages, pace, ETA, pause, circuit, errors, retries, verdict. */
export function describeDetail(r: LiveResource, now: number, retrying: RetryingActivity[] = []): string {
  const parts: string[] = [];
  if (r.pages !== null) parts.push(`${r.pages} pages`);
  const active = r.status !== 'completed' && r.status !== 'failed' && r.status !== 'pending';
  if (active) {
    const pace = paceOf(r, now);
    if (pace.recordsPerSecond !== null) parts.push(`${Math.round(pace.recordsPerSecond)} records/s`);
    if (pace.etaSeconds !== null && !r.paused && r.circuitOpenUntil === null) parts.push(`ETA ${formatSeconds(pace.etaSeconds)}`);
  }
  if (r.parents !== undefined) parts.push(`${r.parents.inFlight} in flight, ${r.parents.gone} gone, ${r.parents.failed} failed`);
  if (active && r.paused) parts.push('paused by an operator (lms-export resume)');
  if (r.circuitOpenUntil !== null) parts.push(`paused: circuit open until ${r.circuitOpenUntil}`);
  const lost = r.waits === undefined ? '' : describeLostTime(r.waits);
  if (lost !== '') parts.push(`lost ${lost}`);
  if (r.lastError !== null) parts.push(`last error: ${r.lastError}`);
  for (const a of retrying) parts.push(`${a.activity} attempt ${a.attempt} after: ${a.lastFailure}`);
  if (r.verdict !== undefined) parts.push(`verdict ${r.verdict}`);
  const detail = parts.join(', ');
  return r.error === undefined ? detail : `${detail}${detail === '' ? '' : ' '}— ${r.error}`;
}

/** One plain line per resource: `users: traversal, 1200/5000 records (24%), 12 pages, 340 records/s, ETA 11 s`. */
export function formatResourceLine(r: LiveResource, now: number, retrying: RetryingActivity[] = []): string {
  const amount = describeAmount(r);
  const detail = describeDetail(r, now, retrying);
  return [`${r.resource}: ${r.phase}`, amount, detail].filter((part) => part !== '').join(', ');
}
