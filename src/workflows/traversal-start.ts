import { patched } from '@temporalio/workflow';
import type { PagingChoice } from '../activities/choose-paging';
import { EDFI_OFFSET_PAGINATION, pagesByKeySet } from '../sources/edfi';
import type { ResourceConfig } from '../spec/export-spec';
import { PATCHES } from './patches';
import type { RunContext } from './run-context';

/**
 * Ed-Fi pages by key set from ODS/API 7.3 on and by limit/offset before: the server decides (choose-paging.ts),
 * and the report says which it chose and why. Runs started before the choice existed page as they began.
 */
export async function settlePaging(run: RunContext, resource: ResourceConfig): Promise<{ resource: ResourceConfig; choice?: PagingChoice }> {
  if (run.spec.source.preset !== 'edfi' || !pagesByKeySet(resource) || !patched(PATCHES.edfiPagingChoice.id)) return { resource };
  const choice = await run.activities.choosePaging({ source: run.spec.source, resource });
  if (choice.mode === 'key-set') return { resource, choice };
  const unpartitioned = resource.partitions === undefined ? '' : '; partitions need key-set paging, so the resource is read in one traversal';
  return { resource: { ...resource, pagination: EDFI_OFFSET_PAGINATION, partitions: undefined }, choice: { ...choice, reason: choice.reason + unpartitioned } };
}

/** Where an incremental resource starts: from its high-water mark (less the overlap), or from the beginning. */
export async function startOf(run: RunContext, resource: ResourceConfig): Promise<{ resource: ResourceConfig; since?: string }> {
  const { incremental, updateScan: changes } = resource;
  if (incremental === undefined || changes?.sinceParam === undefined || !patched(PATCHES.incrementalSync.id)) return { resource };
  const mark = run.spec.full ? null : await run.activities.readHighWater({ sink: run.spec.sink, resource, cursorField: incremental.cursorField });
  if (mark === null) return { resource };
  const since = lessOverlap(mark.value, changes.overlapSeconds);
  return { resource: { ...resource, query: { ...resource.query, [changes.sinceParam]: since } }, since };
}

/** An ISO time moved back by the overlap; any other cursor value (a number, a version) is used as it is. */
function lessOverlap(value: string, seconds: number): string {
  const time = Date.parse(value);
  return Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}/.test(value) ? value : new Date(time - seconds * 1000).toISOString();
}
