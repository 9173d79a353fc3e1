import type { HighWaterMark } from '../sinks/high-water';
import type { SinkPool } from '../sinks/open-sink';
import type { ResourceTable } from '../sinks/sink';
import type { SinkConfig } from '../spec/export-spec';

export interface HighWaterInput {
  sink: SinkConfig;
  resource: ResourceTable;
  cursorField: string;
}

/** Where an incremental resource's run starts, or null for a first run (a full traversal). */
export async function readHighWater(sinks: SinkPool, input: HighWaterInput): Promise<HighWaterMark | null> {
  const sink = await sinks.get(input.sink);
  return (await sink.highWater.read(input.resource.name, input.cursorField)) ?? null;
}

/** After a sound run: the greatest stored cursor value becomes the next run's starting point. */
export async function saveHighWater(sinks: SinkPool, input: HighWaterInput & { runId: string }): Promise<HighWaterMark | null> {
  const sink = await sinks.get(input.sink);
  return (await sink.highWater.save(input.runId, input.resource, input.cursorField)) ?? null;
}
