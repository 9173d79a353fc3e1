import { proxyActivities } from '@temporalio/workflow';
import type { ExportActivities } from '../activities';
import type { DeletionScanResult } from '../sinks/deletion-ledger';
import type { ResourceTable } from '../sinks/sink';
import type { ExecutionConfig, ResourceConfig, SinkConfig, SourceConfig } from '../spec/export-spec';
import { activityOptions } from './activity-options';

export interface DeletionScanInput {
  runId: string;
  sink: SinkConfig;
  resource: ResourceTable;
  maxShare: number;
  /** Scan at most this often: a sync run sooner after the last scan skips it. */
  everySeconds?: number;
  execution: ExecutionConfig;
  /** The source publishes its deletions (Ed-Fi /deletes): read them instead of comparing runs. */
  published?: { source: SourceConfig; resource: ResourceConfig };
}

/** What the deletion scan did for one resource, in the run report. */
export type DeletionScanReport = DeletionScanResult | { outcome: 'skipped' | 'failed'; detail: string };

function ago(seconds: number): string {
  return seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : seconds >= 60 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds)} s`;
}

/**
 * After a complete traversal: flags the stored rows it did not see (gone from the source, as far as a full
 * read can tell) for review, never deletes; lifts flags on rows seen again. On its own cadence when asked:
 * an hourly sync scans once a day.
 */
export async function deletionScan(input: DeletionScanInput): Promise<DeletionScanReport> {
  const { detectDeletions, detectPublishedDeletions, lastDeletionScan } = proxyActivities<ExportActivities>({
    ...activityOptions(input.execution, input.execution.maxAttempts),
    // Reads every stored key of the resource in one transaction: longer than one page's timeout on a big table.
    startToCloseTimeout: '1h',
  });
  if (input.everySeconds !== undefined) {
    const last = await lastDeletionScan({ sink: input.sink, resource: input.resource.name });
    const age = last === null ? Infinity : (Date.now() - Date.parse(last)) / 1000;
    if (age < input.everySeconds) {
      return { outcome: 'skipped', detail: `the last deletion scan was ${ago(age)} ago; it runs every ${ago(input.everySeconds)}` };
    }
  }
  if (input.published !== undefined) return detectPublishedDeletions({ runId: input.runId, sink: input.sink, ...input.published });
  return detectDeletions({ runId: input.runId, sink: input.sink, resource: input.resource, maxShare: input.maxShare });
}
