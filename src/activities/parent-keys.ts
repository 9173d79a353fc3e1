import type { SinkPool } from '../sinks/open-sink';
import type { ParentKey, ParentKeysQuery } from '../sinks/sink';
import type { SinkConfig } from '../spec/export-spec';

/** The next batch of parent keys a fan-out walks (ids, never records: they travel in workflow history). */
export async function listParentKeys(sinks: SinkPool, input: ParentKeysQuery & { sink: SinkConfig }): Promise<ParentKey[]> {
  const sink = await sinks.get(input.sink);
  const { sink: _config, ...query } = input;
  return sink.parentKeys(query);
}

/** How many parent keys a fan-out will walk: its progress shows done of this. */
export async function countParentKeys(sinks: SinkPool, input: Omit<ParentKeysQuery, 'afterKey' | 'limit' | 'with'> & { sink: SinkConfig }): Promise<number> {
  const sink = await sinks.get(input.sink);
  const { sink: _config, ...query } = input;
  return sink.countParentKeys(query);
}
