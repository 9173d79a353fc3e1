import type { MetricTags } from '@temporalio/common';
import { metricMeter } from '@temporalio/workflow';
import type { PersistResult } from '../sinks/sink';
import { runVerdict } from './search-attributes';

/**
 * The metrics only a workflow knows of: records stored, the time an operator's pause and the circuit breaker
 * held a traversal, and each resource's verdict. The workflow meter emits nothing while a workflow replays, so a
 * worker that takes over a run does not count its pages again. Page requests emit theirs from the activities
 * (activities/export-metrics.ts); both carry the same spec, resource and source-host labels.
 */
export function runLabels(spec: string | undefined, resource: string, baseUrl: string): MetricTags {
  return { ...(spec === undefined ? {} : { spec }), resource, source_host: new URL(baseUrl).host };
}

function waited(labels: MetricTags, cause: 'paused' | 'circuit', ms: number): void {
  if (!(ms > 0)) return;
  metricMeter.createHistogram('lms_export_wait_seconds', 'float', 's', 'Time lost without a page, by cause').record(ms / 1000, { ...labels, cause });
}

/** One traversal's metrics; the circuit's cool-downs are counted as they end, from its running total. */
export class TraversalMetrics {
  constructor(
    private readonly labels: MetricTags,
    private circuitOpenMsCounted: number,
  ) {}

  /** A page stored: its records by what the upsert did, and any cool-down of the circuit before it. */
  persisted(result: PersistResult, circuitOpenMs: number): void {
    const stored = metricMeter.createCounter('lms_export_records_stored', 'records', 'Records upserted into the sink, by outcome');
    for (const outcome of ['inserted', 'updated', 'unchanged'] as const) {
      if (result[outcome] > 0) stored.add(result[outcome], { ...this.labels, outcome });
    }
    if (result.quarantined > 0) {
      metricMeter.createCounter('lms_export_records_quarantined', 'records', 'Records that failed validation, kept in quarantine').add(result.quarantined, this.labels);
    }
    waited(this.labels, 'circuit', circuitOpenMs - this.circuitOpenMsCounted);
    this.circuitOpenMsCounted = circuitOpenMs;
  }

  resumed(pausedMs: number): void {
    waited(this.labels, 'paused', pausedMs);
  }
}

/** A resource's verdict as it ends: `failed`, or its completeness verdict's kind (the reason after `:` is left out). */
export function countVerdict(labels: MetricTags, verdict: string | undefined): void {
  const kind = runVerdict([verdict]);
  if (kind === undefined) return;
  metricMeter.createCounter('lms_export_verdicts', 'resources', 'Resources finished, by verdict').add(1, { ...labels, verdict: kind });
}
