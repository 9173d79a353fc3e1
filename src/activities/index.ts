import type { SinkPool } from '../sinks/open-sink';
import type { ResourceConfig, SinkConfig, SourceConfig } from '../spec/export-spec';
import { availableChangeVersions } from './change-versions';
import { choosePaging, type ChoosePagingInput } from './choose-paging';
import { notifyWebhook } from './notify';
import { assessCompleteness, type AssessCompletenessInput } from './assess-completeness';
import { detectDeletions, detectPublishedDeletions, lastDeletionScan, type DetectDeletionsInput } from './detect-deletions';
import { readHighWater, saveHighWater, type HighWaterInput } from './high-water';
import { countParentKeys, listParentKeys } from './parent-keys';
import { fetchPage, type FetchPageInput } from './fetch-page';
import { allKeptAlive } from './keep-alive';
import { listPartitions, type ListPartitionsInput } from './list-partitions';
import { persistPage, type PersistPageInput } from './persist-page';

export interface ActivityDependencies {
  sinks: SinkPool;
}

/** The activities a worker registers, bound to the process's shared sinks, each heartbeating while it runs (keep-alive.ts). */
export function createActivities({ sinks }: ActivityDependencies) {
  return allKeptAlive({
    fetchPage: (input: FetchPageInput) => fetchPage(sinks, input),
    persistPage: (input: PersistPageInput) => persistPage(sinks, input),
    listPartitions: (input: ListPartitionsInput) => listPartitions(input),
    choosePaging: (input: ChoosePagingInput) => choosePaging(input),
    notifyWebhook: (input: Parameters<typeof notifyWebhook>[0]) => notifyWebhook(input),
    assessCompleteness: (input: AssessCompletenessInput) => assessCompleteness(sinks, input),
    detectDeletions: (input: DetectDeletionsInput) => detectDeletions(sinks, input),
    detectPublishedDeletions: (input: Parameters<typeof detectPublishedDeletions>[1]) => detectPublishedDeletions(sinks, input),
    lastDeletionScan: (input: { sink: SinkConfig; resource: string }) => lastDeletionScan(sinks, input),
    availableChangeVersions: (input: { source: SourceConfig; resource: ResourceConfig }) => availableChangeVersions(input),
    readHighWater: (input: HighWaterInput) => readHighWater(sinks, input),
    listParentKeys: (input: Parameters<typeof listParentKeys>[1]) => listParentKeys(sinks, input),
    countParentKeys: (input: Parameters<typeof countParentKeys>[1]) => countParentKeys(sinks, input),
    saveHighWater: (input: HighWaterInput & { runId: string }) => saveHighWater(sinks, input),
  });
}

export type ExportActivities = ReturnType<typeof createActivities>;
