import {
  ApplicationFailure,
  condition,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { REQUEST_QUEUE_MEMO, requestQueueBudget } from '../sources/request-budget';
import { executionSchema, type ExportSpec, type ResourceConfig } from '../spec/export-spec';
import { parseExportSpec, SpecError } from '../spec/parse-spec';
import {
  blankReport,
  countersOf,
  NO_PAGES,
  runPhase,
  runProgressQuery,
  type ResourceReport,
  type ResourceStatus,
  type RunReport,
  type UpdateScanReport,
} from './definitions';
import type { ExportActivities } from '../activities';
import type { AssessCompletenessInput } from '../activities/assess-completeness';
import { activityOptions, workflowTaskTimeout } from './activity-options';
import { intervalSeconds } from '../spec/interval';
import { deletionScan, type DeletionScanReport } from './deletion-scan';
import { updateScan } from './update-scan';
import { exportResource, type ExportResourceInput, type Partition } from './export-resource';
import { fanOut } from './fan-out';
import { PausableChildren } from './pausable-children';
import { splitIdRange } from './id-ranges';
import { partitionedReport } from './partitioned-report';
import { runPool } from './run-pool';
import type { PagingChoice } from '../activities/choose-paging';
import { alertFor } from './alert';
import { isIncomplete } from '../integrity/verdict';
import { EDFI_OFFSET_PAGINATION, pagesByKeySet } from '../sources/edfi';
import { LMS_PAUSED, LMS_PHASE, LMS_RECORDS, LMS_SPEC, LMS_VERDICT, runVerdict } from './search-attributes';
import { countVerdict, runLabels } from './run-metrics';
import { PATCHES } from './patches';

/** Search-attribute updates a run makes while it goes (its last one, when done, comes on top). */
const MAX_LIVE_UPSERTS = 12;

interface ResourceEntry {
  resource: string;
  workflowId: string;
  status: ResourceStatus;
  report?: ResourceReport;
  /** `records`: what the finished partitions fetched (the running ones publish their own: progress-memo.ts). */
  partitions?: { done: number; total: number; records: number };
  /** The collection size asked before the traversal (Ed-Fi key-set pages carry none), for progress bars. */
  expected?: number;
  error?: string;
}

function validSpec(input: unknown): ExportSpec {
  try {
    return parseExportSpec(input);
  } catch (error) {
    // A spec that cannot run must fail the workflow now, readably, instead of retrying a workflow task forever.
    if (error instanceof SpecError) throw ApplicationFailure.nonRetryable(error.message, 'InvalidSpec', error.issues);
    throw error;
  }
}

function failureMessage(error: unknown): string {
  let current = error as { message?: string; cause?: unknown } | undefined;
  while (current?.cause !== undefined && current.cause !== null) current = current.cause as typeof current;
  return current?.message ?? String(error);
}

/**
 * The workflow users start, with a plain-JSON ExportSpec as its only input (CLI, `temporal workflow start`,
 * the Web UI or a Schedule). It validates the spec first, then exports each resource as a child workflow,
 * at most `execution.maxParallelResources` at once (a partitioned resource as one child per partition, at most
 * its `maxParallel` at once), and returns a run report. A failed resource does not stop
 * the others; the run then fails with the report attached, so the failure is visible in every client.
 */
export async function exportRun(input: unknown): Promise<RunReport> {
  const spec = validSpec(input);
  const execution = spec.execution ?? executionSchema.parse({});
  const { listPartitions, readHighWater, saveHighWater, availableChangeVersions, choosePaging, notifyWebhook } = proxyActivities<ExportActivities>(activityOptions(execution, execution.maxAttempts));
  // Reads every key the run stored and re-fetches three pages: far longer than one page's timeout on a big table.
  const { assessCompleteness } = proxyActivities<ExportActivities>({ ...activityOptions(execution, execution.maxAttempts), startToCloseTimeout: '1h' });
  const info = workflowInfo();
  const runId = info.firstExecutionRunId;
  // Workers learn which source queues to poll, and with what budget, from the memos of running exports;
  // a run started from the Temporal CLI or Web UI carries none until it writes its own.
  if (patched(PATCHES.requestQueueMemo.id)) upsertMemo({ [REQUEST_QUEUE_MEMO]: requestQueueBudget(info.taskQueue, spec.source) });
  const startedAt = new Date().toISOString();
  const entries: ResourceEntry[] = spec.resources.map((r) => ({
    resource: r.name,
    workflowId: `${info.workflowId}-${r.name}`,
    status: 'pending',
  }));

  /** Child traversals now running: pause and resume reach each of them. */
  const children = new PausableChildren(false, () => publish());

  // What the Web UI shows of a run while it goes: its current details always, and its search attributes where it
  // was started with them (the namespace has them registered: lms-export setup). Upserted only when they change.
  const indexed = info.typedSearchAttributes.get(LMS_SPEC) !== undefined && patched(PATCHES.searchAttributes.id);
  let published = '';
  let upserts = 0;
  const publish = (): void => {
    const phase = runPhase(entries.map((e) => e.status));
    const records = entries.reduce((sum, e) => sum + (e.report?.recordsFetched ?? 0), 0);
    const verdict = runVerdict(entries.map((e) => (e.status === 'failed' ? 'failed' : e.report?.completeness?.verdict)));
    const summary = `${phase}${children.paused ? ', paused' : ''}; ${records} records in finished resources${verdict === undefined ? '' : `; verdict ${verdict}`}`;
    if (summary === published) return;
    published = summary;
    setCurrentDetails(`**${spec.name}**: ${summary}\n\n${entries.map((e) => `- ${e.resource}: ${e.status}${e.report ? `, ${e.report.recordsFetched} records` : ''}${e.error ? ` (${e.error.slice(0, 120)})` : ''}`).join('\n')}`);
    // Each upsert is a history event: a run of many resources updates its attributes a bounded number of times,
    // and always when it is done.
    if (!indexed || (upserts >= MAX_LIVE_UPSERTS && phase !== 'done')) return;
    upserts += 1;
    upsertSearchAttributes([
      { key: LMS_PHASE, value: phase },
      { key: LMS_PAUSED, value: children.paused },
      { key: LMS_RECORDS, value: records },
      ...(verdict === undefined ? [] : [{ key: LMS_VERDICT, value: verdict }]),
    ]);
  };
  children.listen();
  /** A resource's status changes, and with it what the run shows. */
  const setStatus = (entry: ResourceEntry, status: ResourceStatus): void => {
    entry.status = status;
    publish();
  };
  setHandler(runProgressQuery, () => ({
    spec: spec.name,
    phase: runPhase(entries.map((e) => e.status)),
    paused: children.paused,
    startedAt,
    resources: entries.map(({ resource, workflowId, status, error, report, partitions, expected }) => ({
      resource,
      workflowId,
      status,
      records: report?.recordsFetched,
      expected,
      partitions,
      verdict: report?.completeness?.verdict,
      error,
    })),
  }));

  const traverse = async (workflowId: string, input: Omit<ExportResourceInput, 'workflowId' | 'startPaused'>): Promise<ResourceReport> => {
    const startedPaused = children.paused;
    return children.follow(await startChild(exportResource, { workflowId, workflowTaskTimeout: workflowTaskTimeout(execution), args: [{ ...input, workflowId, startPaused: startedPaused }] }), startedPaused);
  };

  /** A resource under a parent: one traversal per parent key, walked by a fan-out child. */
  const traverseUnderParents = async (entry: ResourceEntry, input: Omit<ExportResourceInput, 'workflowId'>): Promise<ResourceReport> => {
    const parent = input.resource.parent as NonNullable<ResourceConfig['parent']>;
    const parentConfig = spec.resources.find((r) => r.name === parent.resource);
    const startedPaused = children.paused;
    const handle = await startChild(fanOut, {
      workflowId: entry.workflowId,
      workflowTaskTimeout: workflowTaskTimeout(execution),
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
    return children.follow(handle, startedPaused);
  };

  /** Where each partition starts: Ed-Fi's own tokens, or id ranges of a keyset source (an upper bound each). */
  const partitionsOf = async (input: Omit<ExportResourceInput, 'workflowId'>): Promise<Array<Omit<Partition, 'index'>>> => {
    const { partitions } = input.resource;
    if (partitions?.idRange !== undefined && partitions.upperParam !== undefined) {
      const upper = partitions.upperParam;
      return splitIdRange(partitions.idRange.min, partitions.idRange.max, partitions.count).map((range) => ({
        token: JSON.stringify([String(range.after)]),
        query: { [upper]: String(range.upTo) },
      }));
    }
    const tokens = await listPartitions({ source: input.source, resource: input.resource, count: partitions?.count ?? 1 });
    return tokens.map((token) => ({ token }));
  };

  /** One child per partition, at most `maxParallel` at once; a failed partition fails only itself. */
  const traversePartitions = async (entry: ResourceEntry, input: Omit<ExportResourceInput, 'workflowId'>): Promise<ResourceReport> => {
    const starts = await partitionsOf(input);
    entry.partitions = { done: 0, total: starts.length, records: 0 };
    const reports = await runPool(starts.length, input.resource.partitions?.maxParallel ?? 1, async (index) => {
      const workflowId = `${entry.workflowId}-p${index}`;
      try {
        const report = await traverse(workflowId, { ...input, partition: { index, ...(starts[index] as Omit<Partition, 'index'>) } });
        if (entry.partitions) entry.partitions.records += report.recordsFetched;
        return report;
      } catch (error) {
        if (isCancellation(error)) throw error;
        return failedReport(`${entry.resource}/p${index}`, workflowId, failureMessage(error), startedAt);
      } finally {
        if (entry.partitions) entry.partitions.done += 1;
      }
    });
    return partitionedReport(entry.resource, entry.workflowId, reports);
  };

  /** The update scan child: the resource again, filtered to rows changed since the run started (less the overlap). */
  const scanUpdates = async (entry: ResourceEntry, input: Omit<ExportResourceInput, 'workflowId'>): Promise<UpdateScanReport> => {
    const settings = input.resource.updateScan as NonNullable<typeof input.resource.updateScan>;
    // Ed-Fi: everything whose change version is at least the newest one when the run started; else a time filter.
    const filter: Record<string, string> =
      settings.sinceParam === undefined
        ? { minChangeVersion: String(changeVersionAtStart ?? 0) }
        : { [settings.sinceParam]: new Date(Date.parse(startedAt) - settings.overlapSeconds * 1000).toISOString() };
    const since = Object.entries(filter).map(([name, value]) => `${name}=${value}`).join('&');
    const workflowId = `${entry.workflowId}-updates`;
    const resource = { ...input.resource, query: { ...input.resource.query, ...filter }, partitions: undefined };
    try {
      const startedPaused = children.paused;
      const report = await children.follow(await startChild(updateScan, { workflowId, workflowTaskTimeout: workflowTaskTimeout(execution), args: [{ ...input, resource, workflowId, startPaused: startedPaused }] }), startedPaused);
      return { since, ...countersOf(report), status: report.status === 'completed' ? 'completed' : 'failed', error: report.error };
    } catch (error) {
      if (isCancellation(error)) throw error;
      return { since, ...NO_PAGES, status: 'failed', error: failureMessage(error) };
    }
  };

  /** The deletion scan child, after a complete traversal only: "not seen" means "gone" only then. */
  const scanDeletions = async (entry: ResourceEntry, input: Omit<ExportResourceInput, 'workflowId'>): Promise<DeletionScanReport> => {
    if (incomplete(entry.report)) return { outcome: 'skipped', detail: 'the traversal was incomplete: nothing is flagged after an incomplete traversal' };
    const { deletionScan: settings } = input.resource;
    try {
      return await executeChild(deletionScan, {
        workflowId: `${entry.workflowId}-deletions`,
        workflowTaskTimeout: workflowTaskTimeout(execution),
        args: [{
          runId,
          sink: input.sink,
          resource: { name: input.resource.name, primaryKey: input.resource.primaryKey },
          maxShare: settings.maxShare,
          everySeconds: settings.every === undefined ? undefined : intervalSeconds(settings.every),
          execution,
          published: input.resource.updateScan?.changeVersions === true ? { source: input.source, resource: input.resource } : undefined,
        }],
      });
    } catch (error) {
      if (isCancellation(error)) throw error;
      // The export itself is done and sound; a failed scan only means no deletions were judged this time.
      return { outcome: 'failed', detail: failureMessage(error) };
    }
  };

  /** Where an incremental resource starts: from its high-water mark (less the overlap), or from the beginning. */
  const startOf = async (resource: ResourceConfig): Promise<{ resource: ResourceConfig; since?: string }> => {
    const { incremental, updateScan: changes } = resource;
    if (incremental === undefined || changes?.sinceParam === undefined || !patched(PATCHES.incrementalSync.id)) return { resource };
    const mark = spec.full ? null : await readHighWater({ sink: spec.sink, resource, cursorField: incremental.cursorField });
    if (mark === null) return { resource };
    const since = lessOverlap(mark.value, changes.overlapSeconds);
    return { resource: { ...resource, query: { ...resource.query, [changes.sinceParam]: since } }, since };
  };

  /**
   * Ed-Fi pages by key set from ODS/API 7.3 on and by limit/offset before: the server decides (choose-paging.ts),
   * and the report says which it chose and why. Runs started before the choice existed page as they began.
   */
  const settlePaging = async (resource: ResourceConfig): Promise<{ resource: ResourceConfig; choice?: PagingChoice }> => {
    if (spec.source.preset !== 'edfi' || !pagesByKeySet(resource) || !patched(PATCHES.edfiPagingChoice.id)) return { resource };
    const choice = await choosePaging({ source: spec.source, resource });
    if (choice.mode === 'key-set') return { resource, choice };
    const unpartitioned = resource.partitions === undefined ? '' : '; partitions need key-set paging, so the resource is read in one traversal';
    return { resource: { ...resource, pagination: EDFI_OFFSET_PAGINATION, partitions: undefined }, choice: { ...choice, reason: choice.reason + unpartitioned } };
  };

  /** One resource, phase by phase: traversal, update scan, completeness checks, deletion scan, high-water mark. */
  const exportOne = async (entry: ResourceEntry, asConfigured: ResourceConfig): Promise<ResourceReport> => {
    const { resource: configured, choice } = await settlePaging(asConfigured);
    entry.expected = choice?.total ?? undefined;
    const start = await startOf(configured);
    const input = { runId, spec: spec.name, source: spec.source, resource: start.resource, sink: spec.sink, execution };
    const report =
      configured.parent !== undefined
        ? await traverseUnderParents(entry, input)
        : configured.partitions === undefined
          ? await traverse(entry.workflowId, input)
          : await traversePartitions(entry, input);
    if (choice !== undefined) {
      report.paging = { mode: choice.mode, reason: choice.reason };
      // Key-set pages carry no total: the one asked on its own before the traversal stands for its start.
      report.expectedAtStart ??= choice.total;
    }
    if (start.since !== undefined) report.incrementalSince = start.since;
    entry.report = report;
    if (report.status !== 'completed') return report;
    if (configured.updateScan !== undefined && patched(PATCHES.updateScan.id)) {
      setStatus(entry, 'scanning-updates');
      report.updateScan = await scanUpdates(entry, input);
    }
    // Runs started before completeness checks existed end as they began, without them.
    if (patched(PATCHES.completenessChecks.id)) {
      setStatus(entry, 'checking');
      report.completeness = await assessCompleteness({ ...input, fullTraversal: start.since === undefined, traversal: traversalFacts(report) });
      // Where no page carried a total, the checks asked it at the end (count-records.ts).
      report.expectedAtEnd ??= report.completeness.findings.count?.expectedAtEnd ?? null;
    }
    if (report.completeness !== undefined && configured.deletionScan.enabled && patched(PATCHES.deletionScan.id)) {
      setStatus(entry, 'scanning-deletions');
      report.deletionScan =
        start.since === undefined
          ? await scanDeletions(entry, input)
          : { outcome: 'skipped', detail: 'an incremental run reads only what changed: deletions need a full traversal (full: true, or a schedule of its own)' };
    }
    if (configured.incremental !== undefined && !incomplete(report)) {
      const mark = await saveHighWater({ runId, sink: spec.sink, resource: configured, cursorField: configured.incremental.cursorField });
      report.highWater = mark?.value ?? null;
    }
    return report;
  };

  /** The spec's webhook, when this run owes it an alert: delivered with retries; a delivery that fails changes nothing else. */
  const alertIfOwed = async (report: RunReport): Promise<void> => {
    const alert = spec.notify === undefined ? undefined : alertFor(report, spec.notify);
    if (alert === undefined || spec.notify === undefined || !patched(PATCHES.notifyWebhook.id)) return;
    try {
      await notifyWebhook({ notify: spec.notify, alert });
    } catch (error) {
      if (isCancellation(error)) throw error;
    }
  };

  // Ed-Fi change queries: the newest change version when the run starts bounds the update scan from below.
  const changeQueries = spec.resources.find((r) => r.updateScan?.changeVersions === true);
  const changeVersionAtStart =
    changeQueries !== undefined && patched(PATCHES.edfiChangeVersions.id)
      ? (await availableChangeVersions({ source: spec.source, resource: changeQueries })).newestChangeVersion
      : undefined;

  // Parents before their children, so no child holds a slot of the pool while its parent waits for one.
  const order = spec.resources.map((_, i) => i).sort((a, b) => depthOf(spec.resources, a) - depthOf(spec.resources, b));
  await runPool(entries.length, execution.maxParallelResources, async (position) => {
    const index = order[position] as number;
    const entry = entries[index] as ResourceEntry;
    const resource = spec.resources[index];
    if (resource === undefined) return;
    try {
      if (resource.parent !== undefined) {
        // Children read their parents' keys from the sink: the parent's export (and checks) must be done.
        const parentEntry = entries.find((e) => e.resource === resource.parent?.resource);
        if (parentEntry !== undefined) {
          await condition(() => parentEntry.status === 'completed' || parentEntry.status === 'failed');
          if (parentEntry.status === 'failed' && resource.parent.from === 'run') throw ApplicationFailure.nonRetryable(`its parent resource ${parentEntry.resource} failed`);
        }
      }
      setStatus(entry, 'running');
      entry.report = await exportOne(entry, resource);
      entry.error = entry.report.error;
      setStatus(entry, entry.report.status);
    } catch (error) {
      if (isCancellation(error)) throw error;
      entry.error = failureMessage(error);
      setStatus(entry, 'failed');
    }
    countVerdict(runLabels(spec.name, entry.resource, spec.source.baseUrl), entry.status === 'failed' ? 'failed' : entry.report?.completeness?.verdict);
  });

  const report: RunReport = {
    spec: spec.name,
    runId,
    workflowId: info.workflowId,
    status: entries.some((e) => e.status === 'failed') ? 'failed' : entries.some((e) => incomplete(e.report)) ? 'incomplete' : 'completed',
    startedAt,
    finishedAt: new Date().toISOString(),
    resources: entries.map((e) => e.report ?? failedReport(e.resource, e.workflowId, e.error ?? 'not run', startedAt)),
  };
  await alertIfOwed(report);
  if (report.status === 'failed') {
    const failed = entries.filter((e) => e.status === 'failed').map((e) => `${e.resource}: ${e.error}`);
    throw ApplicationFailure.nonRetryable(`export ${spec.name} failed for ${failed.length} resource(s):\n  ${failed.join('\n  ')}`, 'ExportFailed', report);
  }
  if (report.status === 'incomplete') {
    // Failed, plainly, in every client: a run whose data is known to be short must not look like a success.
    const short = entries.filter((e) => incomplete(e.report)).map((e) => `${e.resource}: ${e.report?.completeness?.verdict}`);
    throw ApplicationFailure.nonRetryable(`export ${spec.name} is incomplete for ${short.length} resource(s):\n  ${short.join('\n  ')}`, 'ExportIncomplete', report);
  }
  return report;
}

/** An ISO time moved back by the overlap; any other cursor value (a number, a version) is used as it is. */
function lessOverlap(value: string, seconds: number): string {
  const time = Date.parse(value);
  return Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}/.test(value) ? value : new Date(time - seconds * 1000).toISOString();
}

/** How many parents above a resource: 0 for a top-level one. */
function depthOf(resources: ResourceConfig[], index: number): number {
  let depth = 0;
  for (let at = resources[index]; at?.parent !== undefined; at = resources.find((r) => r.name === at?.parent?.resource)) depth += 1;
  return depth;
}

function incomplete(report: ResourceReport | undefined): boolean {
  return isIncomplete(report?.completeness?.verdict);
}

/** What the completeness checks need from a traversal's report (no records: counts, cursors, drift). */
function traversalFacts(report: ResourceReport): AssessCompletenessInput['traversal'] {
  return {
    expectedAtStart: report.expectedAtStart,
    expectedAtEnd: report.expectedAtEnd,
    quarantined: report.quarantined,
    reconciledRows: report.reconciliation?.inserted ?? 0,
    drift: report.drift,
    startCursor: report.startCursor,
    endCursor: report.endCursor,
  };
}

function failedReport(resource: string, workflowId: string, error: string, startedAt: string): ResourceReport {
  return { ...blankReport(resource, workflowId, startedAt), status: 'failed', error };
}
