import { isCancellation, startChild } from '@temporalio/workflow';
import type { ResourceConfig } from '../spec/export-spec';
import { blankReport, type ResourceReport } from './report';
import { exportResource, type ExportResourceInput, type Partition } from './export-resource';
import { fanOut } from './fan-out';
import { splitIdRange } from './id-ranges';
import { partitionedReport } from './partitioned-report';
import { runPool } from './run-pool';
import type { RunContext, TraversalInput } from './run-context';
import type { ResourceEntry } from './run-view';
import { workflowTaskTimeout } from './activity-options';
import { rootCauseMessage } from '../failures';

/**
 * A resource's traversal, the first phase: one child traversal; under a parent, a fan-out child that walks the
 * parent's keys; partitioned, one child per partition, at most `maxParallel` at once.
 */
export function traverseResource(run: RunContext, entry: ResourceEntry, input: TraversalInput): Promise<ResourceReport> {
  if (input.resource.parent !== undefined) return traverseUnderParents(run, entry, input);
  if (input.resource.partitions === undefined) return traverse(run, entry.workflowId, input);
  return traversePartitions(run, entry, input);
}

/** One traversal child, started paused when the run is. */
async function traverse(run: RunContext, workflowId: string, input: Omit<ExportResourceInput, 'workflowId' | 'startPaused'>): Promise<ResourceReport> {
  const startedPaused = run.children.paused;
  const handle = await startChild(exportResource, { workflowId, workflowTaskTimeout: workflowTaskTimeout(run.execution), args: [{ ...input, workflowId, startPaused: startedPaused }] });
  return run.children.follow(handle, startedPaused);
}

/** A resource under a parent: one traversal per parent key, walked by a fan-out child. */
async function traverseUnderParents(run: RunContext, entry: ResourceEntry, input: TraversalInput): Promise<ResourceReport> {
  const parent = input.resource.parent as NonNullable<ResourceConfig['parent']>;
  const parentConfig = run.spec.resources.find((r) => r.name === parent.resource);
  const startedPaused = run.children.paused;
  const handle = await startChild(fanOut, {
    workflowId: entry.workflowId,
    workflowTaskTimeout: workflowTaskTimeout(run.execution),
    args: [{
      runId: input.runId,
      workflowId: entry.workflowId,
      spec: input.spec,
      source: input.source,
      resource: input.resource,
      sink: input.sink,
      execution: input.execution,
      parentTable: { name: parent.resource, primaryKey: parentConfig?.primaryKey ?? [] },
      startPaused: startedPaused,
    }],
  });
  return run.children.follow(handle, startedPaused);
}

/** Where each partition starts: Ed-Fi's own tokens, or id ranges of a keyset source (an upper bound each). */
async function partitionsOf(run: RunContext, input: TraversalInput): Promise<Array<Omit<Partition, 'index'>>> {
  const { partitions } = input.resource;
  if (partitions?.idRange !== undefined && partitions.upperParam !== undefined) {
    const upper = partitions.upperParam;
    return splitIdRange(partitions.idRange.min, partitions.idRange.max, partitions.count).map((range) => ({
      token: JSON.stringify([String(range.after)]),
      query: { [upper]: String(range.upTo) },
    }));
  }
  const tokens = await run.activities.listPartitions({ source: input.source, resource: input.resource, count: partitions?.count ?? 1 });
  return tokens.map((token) => ({ token }));
}

/** One child per partition, at most `maxParallel` at once; a failed partition fails only itself. */
async function traversePartitions(run: RunContext, entry: ResourceEntry, input: TraversalInput): Promise<ResourceReport> {
  const starts = await partitionsOf(run, input);
  entry.partitions = { done: 0, total: starts.length, records: 0 };
  const reports = await runPool(starts.length, input.resource.partitions?.maxParallel ?? 1, async (index) => {
    const workflowId = `${entry.workflowId}-p${index}`;
    try {
      const report = await traverse(run, workflowId, { ...input, partition: { index, ...(starts[index] as Omit<Partition, 'index'>) } });
      if (entry.partitions) entry.partitions.records += report.recordsFetched;
      return report;
    } catch (error) {
      if (isCancellation(error)) throw error;
      return failedReport(`${entry.resource}/p${index}`, workflowId, rootCauseMessage(error), run.startedAt);
    } finally {
      if (entry.partitions) entry.partitions.done += 1;
    }
  });
  return partitionedReport(entry.resource, entry.workflowId, reports);
}

export function failedReport(resource: string, workflowId: string, error: string, startedAt: string): ResourceReport {
  return { ...blankReport(resource, workflowId, startedAt), status: 'failed', error };
}
