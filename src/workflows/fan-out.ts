import {
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import type { ExportActivities } from '../activities';
import { parentGone, rootFailure } from '../failures';
import type { ParentKey, ResourceTable } from '../sinks/sink';
import type { ResourceConfig } from '../spec/export-spec';
import { activityOptions } from './activity-options';
import { shouldContinueAsNew } from './continue-as-new';
import { countersOf, fanOutProgressQuery, NO_PAGES, type PageCounters } from './definitions';
import { blankReport, type ResourceReport } from './report';
import { exportResource, type ResourceRunInput } from './export-resource';
import { fillParentPath, placeholdersOf } from './parent-path';
import { ParentReader } from './parent-reader';
import { PATCHES } from './patches';
import { PausableChildren } from './pausable-children';
import { ProgressPublisher, type FanOutMemo } from './progress-memo';
import { runPool } from './run-pool';
import { addWaits, NO_WAITS, type Waits } from './waits';

/** `resource` is the child resource, its path still holding the `{as}` placeholder. */
export interface FanOutInput extends ResourceRunInput {
  parentTable: ResourceTable;
  carried?: FanOutState;
}

/** A parent whose children could not be read: gone (404/403: deleted, access revoked) or failed (anything else). */
export interface ParentOutcome {
  key: string;
  reason: string;
}

export interface FanOutState {
  /** Every key up to this one (in text order) is done: the batch cursor. */
  afterKey: string | null;
  done: number;
  /** Parent keys to walk, counted when the fan-out starts. */
  total?: number;
  counters: PageCounters;
  waits: Waits;
  /** The first outcomes of each kind (history stays small), and how many there were in all. */
  gone: ParentOutcome[];
  failed: ParentOutcome[];
  goneCount: number;
  failedCount: number;
  /** Parents with more than the pages the fan-out read itself, each read on by a child traversal (absent before it did). */
  children?: number;
  /** When the fan-out's first run started (absent in state carried before it was kept: each run then reports its own start). */
  startedAt?: string;
  continuedAsNew: number;
}


/** Parent keys read per batch; the window slides within a batch and the cursor advances between batches. */
const PARENTS_PER_BATCH = 200;
/** Outcomes a report lists by key; beyond this it counts them. */
const MAX_LISTED = 100;

/**
 * Walks a parent collection's keys (courses) and traverses the child resource under each (its enrollments), at
 * most `parent.maxParallel` parents at once: the next starts as one finishes. The fan-out reads each parent's
 * first page itself (parent-reader.ts); most parents have one page or none and are done with it, and only a
 * parent with a next page gets a child workflow, which goes on from that page's cursor. Keys come from the sink
 * in batches, in key order; the cursor moves past a batch only once all its parents are done, so a killed worker
 * or a restarted server resumes without redoing a finished parent or skipping one. All requests go through the
 * source's request queue and share its budget; a paused fan-out starts no parent and sends no request.
 */
export async function fanOut(input: FanOutInput): Promise<ResourceReport> {
  // Fan-outs begun before the fan-out read first pages itself start a child per parent until they end.
  const readsFirstPages = patched(PATCHES.fanOutReadsFirstPages.id);
  const parent = input.resource.parent as NonNullable<ResourceConfig['parent']>;
  const { listParentKeys, countParentKeys } = proxyActivities<ExportActivities>(activityOptions(input.execution, input.execution.maxAttempts));
  const state: FanOutState = input.carried ?? { afterKey: null, done: 0, counters: { ...NO_PAGES }, waits: NO_WAITS, gone: [], failed: [], goneCount: 0, failedCount: 0, continuedAsNew: 0 };
  // The report and the memo time the whole fan-out, not only the run since the last continue-as-new.
  state.startedAt ??= new Date().toISOString();
  const startedAt = state.startedAt;
  let inFlight = 0;
  // Pause and resume reach every traversal in flight; those started later start as the fan-out is.
  const children: PausableChildren = new PausableChildren(input.startPaused ?? false, () => {
    // A resume ends the circuit cool-downs of parents being read here too, as it does in every child traversal.
    if (!children.paused) reader?.closeCircuits();
    progress.publish();
  });
  const reader = readsFirstPages ? new ParentReader(input, () => children.paused) : undefined;
  if (readsFirstPages) state.children ??= 0;
  // What the progress query and the memo both show of the fan-out.
  const parentFigures = () => ({
    resource: input.resource.name,
    parentsDone: state.done,
    parentsTotal: state.total ?? null,
    inFlight,
    gone: state.goneCount,
    failed: state.failedCount,
    paused: children.paused,
  });
  setHandler(fanOutProgressQuery, () => ({ ...parentFigures(), fetching: reader?.fetching ?? 0 }));
  const progress = new ProgressPublisher<FanOutMemo>(
    () => ({ kind: 'fan-out', ...parentFigures(), pages: state.counters.pages, records: state.counters.recordsFetched, startedAt }),
    (figures) => [figures.paused, figures.parentsTotal],
  );
  children.listen();

  const addCounts = (counters: PageCounters, waits: Waits): void => {
    for (const name of Object.keys(counters) as Array<keyof PageCounters>) state.counters[name] += counters[name];
    state.waits = addWaits(state.waits, waits);
  };

  const traverseUnder = async ({ key, values }: ParentKey): Promise<void> => {
    const fields = { ...values, [parent.as]: key };
    const filled = fillParentPath(input.resource.path, fields);
    if (filled.refused !== undefined && patched(PATCHES.refuseParentKeysLeavingThePath.id)) {
      // Recorded like a parent whose traversal failed; no request is sent.
      state.failedCount += 1;
      if (state.failed.length < MAX_LISTED) state.failed.push({ key, reason: filled.refused });
      state.done += 1;
      return;
    }
    const scope = `${parent.as}=${key}`;
    const workflowId = `${input.workflowId}-${encodeURIComponent(key)}`;
    inFlight += 1;
    try {
      const read = reader === undefined ? undefined : await reader.read({ path: filled.path, scope, recordDefaults: fields });
      if (read?.outcome === 'finished') {
        // The whole traversal was the pages read here: counted as a child's report would count them.
        addCounts(countersOf(read.state), { ...read.state.waits, circuitOpenMs: read.state.circuit.openMs ?? 0 });
        return;
      }
      if (read !== undefined) state.children = (state.children ?? 0) + 1;
      const startedPaused = children.paused;
      const handle = await startChild(exportResource, {
        workflowId,
        args: [{
          runId: input.runId,
          workflowId,
          spec: input.spec,
          source: input.source,
          resource: { ...input.resource, path: filled.path, parent: undefined },
          pathTemplate: input.resource.path,
          sink: input.sink,
          execution: input.execution,
          scope,
          recordDefaults: fields,
          startPaused: startedPaused,
          // The child goes on from the page after those read here, their counters and waits in its report.
          ...(read === undefined ? {} : { carried: { ...read.state, paused: startedPaused, pausedSince: null } }),
        }],
      });
      const report = await children.follow(handle, startedPaused);
      addCounts(countersOf(report), report.waits);
    } catch (error) {
      if (isCancellation(error)) throw error;
      const outcome = { key, reason: rootFailure(error)?.message ?? String(error) };
      if (parentGone(error)) {
        state.goneCount += 1;
        if (state.gone.length < MAX_LISTED) state.gone.push(outcome);
      } else {
        state.failedCount += 1;
        if (state.failed.length < MAX_LISTED) state.failed.push(outcome);
      }
    } finally {
      inFlight -= 1;
      state.done += 1;
      progress.publish();
    }
  };

  const scope = { sink: input.sink, table: input.parentTable.name, field: parent.key, runId: parent.from === 'run' ? input.runId : null, only: parent.keys };
  // Fan-outs started before they counted their parents go on without a total.
  if (state.total === undefined && patched(PATCHES.fanOutTotal.id)) state.total = await countParentKeys(scope);
  progress.publish();
  for (;;) {
    const keys = await listParentKeys({
      sink: input.sink,
      table: input.parentTable.name,
      field: parent.key,
      runId: parent.from === 'run' ? input.runId : null,
      afterKey: state.afterKey,
      limit: PARENTS_PER_BATCH,
      only: parent.keys,
      with: placeholdersOf(input.resource.path).filter((name) => name !== parent.as),
    });
    await runPool(keys.length, parent.maxParallel, (i) => traverseUnder(keys[i] as ParentKey));
    state.afterKey = keys[keys.length - 1]?.key ?? state.afterKey;
    if (keys.length < PARENTS_PER_BATCH) break;
    if (shouldContinueAsNew(0, Infinity)) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof fanOut>({ ...input, startPaused: children.paused, carried: { ...state, continuedAsNew: state.continuedAsNew + 1 } });
    }
  }

  const finishedAt = new Date();
  const failed = state.failedCount;
  return {
    ...blankReport(input.resource.name, input.workflowId, startedAt),
    status: failed > 0 ? 'failed' : 'completed',
    ...state.counters,
    waits: state.waits,
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - Date.parse(startedAt),
    continuedAsNew: state.continuedAsNew,
    parents: { done: state.done, total: state.total ?? state.done, gone: state.gone, failed: state.failed, goneCount: state.goneCount, failedCount: failed, children: state.children },
    error: failed > 0 ? `${failed} of ${state.done} ${parent.resource} failed: ${state.failed.slice(0, 3).map((f) => `${f.key}: ${f.reason}`).join('; ')} (lms-export start --retry-failed)` : undefined,
  };
}
