import { NO_PAGES, type PageCounters } from './definitions';
import { blankReport, type ResourceReport } from './report';
import type { DriftFinding } from '../integrity/fingerprint';
import { withDrift } from './drift-log';
import { addWaits, NO_WAITS } from './waits';

const COUNTERS: Array<keyof PageCounters> = Object.keys(NO_PAGES) as Array<keyof PageCounters>;

function sumOrNull(values: Array<number | null>): number | null {
  return values.every((v): v is number => v !== null) && values.length > 0 ? values.reduce((a, b) => a + b, 0) : null;
}

function firstInvalidOf(partitions: ResourceReport[]): string | null {
  const first = partitions.find((p) => p.firstInvalid !== null);
  return first === undefined ? null : `${first.resource}, ${first.firstInvalid}`;
}

/** One report for a partitioned resource: the partitions' counters summed, each partition's report kept. */
export function partitionedReport(resource: string, workflowId: string, partitions: ResourceReport[]): ResourceReport {
  const counters = { ...NO_PAGES };
  for (const partition of partitions) for (const key of COUNTERS) counters[key] += partition[key];
  const failed = partitions.filter((p) => p.status === 'failed');
  const started = partitions.map((p) => p.startedAt).sort()[0] ?? new Date().toISOString();
  const finished = partitions.every((p) => p.finishedAt !== null) ? (partitions.map((p) => p.finishedAt as string).sort().pop() ?? null) : null;
  return {
    ...blankReport(resource, workflowId, started),
    status: failed.length > 0 ? 'failed' : 'completed',
    ...counters,
    expectedAtStart: sumOrNull(partitions.map((p) => p.expectedAtStart)),
    expectedAtEnd: sumOrNull(partitions.map((p) => p.expectedAtEnd)),
    cursorRecoveries: partitions.reduce((n, p) => n + p.cursorRecoveries, 0),
    firstInvalid: firstInvalidOf(partitions),
    drift: partitions.reduce((found, p) => withDrift(found, p.drift ?? []), [] as DriftFinding[]),
    circuitOpenings: partitions.reduce((n, p) => n + p.circuitOpenings, 0),
    waits: partitions.reduce((total, p) => addWaits(total, p.waits), NO_WAITS),
    finishedAt: finished,
    durationMs: finished === null ? null : Date.parse(finished) - Date.parse(started),
    continuedAsNew: partitions.reduce((n, p) => n + p.continuedAsNew, 0),
    error: failed.length > 0 ? `${failed.length} of ${partitions.length} partitions failed: ${failed.map((p) => `${p.resource}: ${p.error}`).join('; ')}` : undefined,
    partitions,
  };
}
