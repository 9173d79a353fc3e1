import type { DeletionScanResult } from '../sinks/deletion-ledger';
import type { SinkPool } from '../sinks/open-sink';
import type { ResourceTable } from '../sinks/sink';
import type { SinkConfig } from '../spec/export-spec';

export interface DetectDeletionsInput {
  runId: string;
  sink: SinkConfig;
  resource: ResourceTable;
  maxShare: number;
}

/** Flags the resource's stored rows that this complete run did not see; lifts flags on rows it saw again. */
export async function detectDeletions(sinks: SinkPool, input: DetectDeletionsInput): Promise<DeletionScanResult> {
  const sink = await sinks.get(input.sink);
  return sink.deletions.scan(input.runId, input.resource, input.maxShare);
}

/** When the resource's deletions were last scanned (ISO time), or null if never. */
export async function lastDeletionScan(sinks: SinkPool, input: { sink: SinkConfig; resource: string }): Promise<string | null> {
  const sink = await sinks.get(input.sink);
  return (await sink.deletions.lastScanAt(input.resource)) ?? null;
}
