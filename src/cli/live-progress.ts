import type { ResourceStatus, RunProgress } from '../workflows/definitions';
import type { FanOutMemo, ProgressMemo, TraversalMemo } from '../workflows/progress-memo';
import type { Waits } from '../workflows/waits';

/** What an operator reads of one resource while a run goes: `status`, `watch` and `start --wait` show this. */
export interface LiveResource {
  resource: string;
  status: ResourceStatus;
  /** traversal, second pass, update scan, checks, deletion scan; or pending, completed, failed. */
  phase: string;
  pages: number | null;
  records: number | null;
  /** What a bar can be drawn over: records of an API total, parents of a fan-out, partitions of a partitioned resource. */
  progress: { done: number; total: number; unit: 'records' | 'parents' | 'partitions' } | null;
  /** When the phase's work began, and when the figures were taken (for records/s and the ETA). */
  startedAt: string | null;
  asOf: string | null;
  paused: boolean;
  circuitOpenUntil: string | null;
  lastError: string | null;
  /** Time lost so far (retries, throttling, pauses, open circuits), where one traversal does the work. */
  waits?: Waits;
  /** Fan-outs: parents in flight, gone (404/403) and failed. */
  parents?: { inFlight: number; gone: number; failed: number };
  verdict?: string;
  error?: string;
}

const PHASE: Record<ResourceStatus, string> = {
  pending: 'pending',
  running: 'traversal',
  'scanning-updates': 'update scan',
  checking: 'checks',
  'scanning-deletions': 'deletion scan',
  completed: 'completed',
  failed: 'failed',
};

function sum(values: number[]): number {
  return values.reduce((total, n) => total + n, 0);
}

function latest(times: string[]): string | null {
  return times.length === 0 ? null : times.reduce((a, b) => (a > b ? a : b));
}

/** The state shared by several traversals of one resource (partitions, parents): paused if any is, the first error. */
function stateOf(memos: ProgressMemo[]): Pick<LiveResource, 'paused' | 'circuitOpenUntil' | 'lastError'> {
  const traversals = memos.filter((m): m is TraversalMemo => m.kind === 'traversal');
  return {
    paused: memos.some((m) => m.paused),
    circuitOpenUntil: traversals.find((m) => m.circuitOpenUntil !== null)?.circuitOpenUntil ?? null,
    lastError: traversals.find((m) => m.lastError !== null)?.lastError ?? null,
  };
}

/** `expected`: the size the run asked before the traversal, for pages that carry none. */
function traversalLine(memo: TraversalMemo, expected?: number): Pick<LiveResource, 'phase' | 'pages' | 'records' | 'progress' | 'startedAt' | 'asOf'> {
  const second = memo.pass === 'reconcile' && memo.secondPass !== null;
  const records = second ? (memo.secondPass?.records ?? 0) : memo.records;
  const total = memo.expected ?? expected ?? null;
  return {
    phase: memo.role === 'updates' ? 'update scan' : second ? 'second pass' : 'traversal',
    pages: second ? (memo.secondPass?.pages ?? 0) : memo.pages,
    records,
    progress: total === null ? null : { done: records, total, unit: 'records' },
    startedAt: memo.startedAt,
    asOf: memo.reportedAt,
  };
}

/**
 * One line per resource, from the run's own progress (statuses, finished figures, partitions) and the progress
 * memos of the run's workflows that are still going (progress-memo.ts), read in one visibility listing.
 */
export function liveResources(run: RunProgress, memos: ProgressMemo[]): LiveResource[] {
  return run.resources.map((r) => {
    const own = memos.filter((m) => m.resource === r.resource);
    const finished: LiveResource = {
      resource: r.resource,
      status: r.status,
      phase: PHASE[r.status],
      pages: null,
      records: r.records ?? null,
      progress: null,
      startedAt: null,
      asOf: null,
      paused: run.paused,
      circuitOpenUntil: null,
      lastError: null,
      verdict: r.verdict,
      error: r.error,
    };
    if (r.status === 'scanning-updates') {
      const scan = own.find((m): m is TraversalMemo => m.kind === 'traversal' && m.role === 'updates');
      return scan === undefined ? finished : { ...finished, ...traversalLine(scan), ...stateOf([scan]) };
    }
    if (r.status !== 'running') return finished;
    const fan = own.find((m): m is FanOutMemo => m.kind === 'fan-out');
    const traversals = own.filter((m): m is TraversalMemo => m.kind === 'traversal' && m.role !== 'updates');
    if (fan !== undefined) {
      const scopes = traversals.filter((m) => m.role === 'scope');
      return {
        ...finished,
        ...stateOf([fan, ...scopes]),
        pages: fan.pages + sum(scopes.map((m) => m.pages)),
        records: fan.records + sum(scopes.map((m) => m.records)),
        progress: fan.parentsTotal === null ? null : { done: fan.parentsDone, total: fan.parentsTotal, unit: 'parents' },
        startedAt: fan.startedAt,
        asOf: latest([fan, ...scopes].map((m) => m.reportedAt)),
        parents: { inFlight: fan.inFlight, gone: fan.gone, failed: fan.failed },
      };
    }
    if (r.partitions !== undefined) {
      const running = traversals.filter((m) => m.role === 'partition');
      return {
        ...finished,
        ...stateOf(running),
        records: (r.partitions.records ?? 0) + sum(running.map((m) => m.records)),
        progress: { done: r.partitions.done, total: r.partitions.total, unit: 'partitions' },
        // The finished partitions' records count too: the rate is over the whole resource.
        startedAt: run.startedAt,
        asOf: latest(running.map((m) => m.reportedAt)),
      };
    }
    const main = traversals.find((m) => m.role === 'main');
    return main === undefined ? finished : { ...finished, ...traversalLine(main, r.expected), ...stateOf([main]), waits: main.waits };
  });
}
