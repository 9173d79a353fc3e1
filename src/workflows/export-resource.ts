import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ExportActivities } from '../activities';
import type { PageSummary } from '../activities/fetch-page';
import { describeCursor, type PageCursor } from '../pagination/types';
import { executionSchema, resourceSchema, type ExecutionConfig, type ResourceConfig, type SinkConfig, type SourceConfig } from '../spec/export-spec';
import { activityOptions, pageRequestQueue } from './activity-options';
import { CircuitBreaker, type CircuitState } from './circuit-breaker';
import { shouldContinueAsNew } from './continue-as-new';
import { retryWhileSinkDown } from './sink-down';
import type { DriftFinding } from '../integrity/fingerprint';
import { addWaits, NO_WAITS, type Waits } from './waits';
import { countersOf, pauseSignal, progressQuery, resumeSignal, type PageCounters } from './definitions';
import type { ResourceReport } from './report';
import { runLabels, TraversalMetrics } from './run-metrics';
import { ProgressPublisher, type TraversalMemo } from './progress-memo';
import { activityFailureType, FailureType } from '../failures';
import { afterPage, startingTraversal } from './page-step';
import { traversalMemo, traversalName, traversalProgress } from './traversal-figures';

export interface Partition {
  index: number;
  /** The cursor the partition starts from (an Ed-Fi page token, or a keyset position). */
  token: string;
  /** Query parameters that bound the partition (a keyset range's upper id). */
  query?: Record<string, string>;
}

/** What every workflow that exports one resource of a run is given. */
export interface ResourceRunInput {
  runId: string;
  workflowId: string;
  /** The spec's name: its tables in the sink belong to it. Absent in runs started before tables had owners. */
  spec?: string;
  source: SourceConfig;
  resource: ResourceConfig;
  sink: SinkConfig;
  execution: ExecutionConfig;
  startPaused?: boolean;
}

export interface ExportResourceInput extends ResourceRunInput {
  /** One partition of a partitioned resource: where it starts, and its number in the audit trail. */
  partition?: Partition;
  /** A traversal besides the main one (`updates`: the update scan), named `<resource>~<label>` in the audit trail. */
  label?: string;
  /** One parent's share of a fanned-out resource (`course_id=7`), named `<resource>/<scope>` in the audit trail. */
  scope?: string;
  /** Fields each stored record gets when it lacks them: the parent key of a fanned-out resource. */
  recordDefaults?: Record<string, string>;
  /** A fanned-out resource's path before its parent filled it in: the table's claim names it (fetch-page.ts). */
  pathTemplate?: string;
  /**
   * Where the traversal stands: set by continue-as-new (where the previous run of this workflow stopped), and by a
   * fan-out that read a parent's first page itself (parent-reader.ts), so the child goes on from that page's cursor.
   */
  carried?: TraversalState;
}

/** Everything a traversal must remember across continue-as-new. Cursors and counters only: no records. */
export interface TraversalState extends PageCounters {
  circuit: CircuitState;
  waits: Waits;
  /** `main`: the traversal; `reconcile`: a second pass over a positional (offset/page) source to catch rows it skipped. */
  pass: 'main' | 'reconcile';
  /** What the reconciliation pass did; its `inserted` rows are those the main pass missed. */
  reconciliation: PageCounters | null;
  /** Restarts after the server rejected its own cursor (expired token or bookmark). */
  cursorRecoveries: number;
  expectedAtStart: number | null;
  expectedAtEnd: number | null;
  cursor: PageCursor | null;
  nextPageNumber: number;
  startCursor: string | null;
  endCursor: string | null;
  paused: boolean;
  /** Since when the traversal has been paused (an operator's pause), for the time it accounts to pauses. */
  pausedSince?: string | null;
  startedAt: string;
  lastError: string | null;
  continuedAsNew: number;
  /** Where the first quarantined record is and why (page, position, issues). */
  firstInvalid: string | null;
  drift: DriftFinding[];
  /** A page fetched and staged but not yet persisted when the previous run continued as new. */
  fetchedAhead?: PageSummary;
}

/** Restarts after an expired cursor before the resource fails: a source whose cursors expire faster than a full traversal cannot be exported this way. */
const MAX_CURSOR_RECOVERIES = 3;

function cursorExpired(error: unknown): boolean {
  return activityFailureType(error) === FailureType.CursorExpired;
}

/** A persist whose staged page vanished with the sink's tables (sinks/sql-sink.ts STAGED_PAGE_LOST). */
function stagedPageLost(error: unknown): boolean {
  return activityFailureType(error) === FailureType.StagedPageLost;
}

interface PendingFetch {
  pageNumber: number;
  summary: Promise<PageSummary>;
  settled: boolean;
}

/**
 * Pages through one resource: fetch a page (staged in the sink), persist it, and only then advance the
 * cursor. The next page is fetched while the current one is persisted. A crash anywhere replays at most the
 * pages in flight, and upserts make that replay harmless, so the export is exactly-once in effect. Pause holds
 * the loop between pages; a page that keeps failing opens a circuit breaker (a durable cool-down, then one
 * probe); a sink that is down is waited out instead, fetch and persist alike, without blaming the source;
 * continue-as-new carries the cursor, counters, pause and circuit state, so history stays small.
 */
export async function exportResource(input: ExportResourceInput): Promise<ResourceReport> {
  // Inputs written by an older version of this code (a run continued-as-new across an upgrade) lack newer
  // fields: settings get the schema's defaults, carried state the fresh state's values.
  const execution = executionSchema.parse(input.execution);
  const partitionQuery = input.partition?.query ?? {};
  const resource = resourceSchema.parse({ ...input.resource, query: { ...input.resource.query, ...partitionQuery } });
  const startCursor: PageCursor | null = input.partition === undefined ? null : { kind: 'token', token: input.partition.token };
  const { persistPage } = proxyActivities<ExportActivities>(activityOptions(execution, execution.maxAttempts));
  const requestQueue = pageRequestQueue(workflowInfo().taskQueue, input.source);
  const fetchOptions = { ...activityOptions(execution, execution.circuitBreaker.failures), taskQueue: requestQueue };
  const probeOptions = { ...activityOptions(execution, 1), taskQueue: requestQueue };
  const { fetchPage } = proxyActivities<ExportActivities>(fetchOptions);
  const { fetchPage: probePage } = proxyActivities<ExportActivities>(probeOptions);
  const state: TraversalState = {
    ...startingTraversal(new Date().toISOString(), startCursor),
    paused: input.startPaused ?? false,
    ...input.carried,
  };
  const breaker: CircuitBreaker = new CircuitBreaker(state.circuit, execution.circuitBreaker, (message) => noteSinkDown(message));
  const progress = new ProgressPublisher<TraversalMemo>(
    () => traversalMemo(input, resource.name, state, breaker.openUntil, allWaits()),
    (figures) => [figures.paused, figures.circuitOpenUntil, figures.lastError, figures.pass],
  );
  const noteSinkDown = (message: string): void => {
    state.lastError = message;
    // The breaker tells us before it sets its cool-down: publish once it has (same activation, so deterministic).
    void Promise.resolve().then(() => progress.publish());
  };
  // The last error stands until a page gets through again: it says why a run waits or retries.
  if (state.paused) state.pausedSince ??= new Date().toISOString();
  setHandler(pauseSignal, () => {
    if (!state.paused) state.pausedSince = new Date().toISOString();
    state.paused = true;
    progress.publish();
  });
  const traversalMetrics = new TraversalMetrics(runLabels(input.spec, resource.name, input.source.baseUrl), state.circuit.openMs ?? 0);
  setHandler(resumeSignal, () => {
    if (state.paused && state.pausedSince) traversalMetrics.resumed(Date.now() - Date.parse(state.pausedSince));
    if (state.paused && state.pausedSince) state.waits = addWaits(state.waits, { ...NO_WAITS, pausedMs: Date.now() - Date.parse(state.pausedSince) });
    state.paused = false;
    state.pausedSince = null;
    breaker.close();
    progress.publish();
  });
  /** The waits so far, the circuit's cool-downs included (kept in the breaker's state). */
  const allWaits = (): Waits => ({ ...state.waits, circuitOpenMs: state.circuit.openMs ?? 0 });
  /** The page being fetched ahead while the previous one is persisted. */
  let prefetched: PendingFetch | undefined = state.fetchedAhead && {
    pageNumber: state.fetchedAhead.pageNumber,
    summary: Promise.resolve(state.fetchedAhead),
    settled: true,
  };
  state.fetchedAhead = undefined;
  setHandler(progressQuery, () => traversalProgress(resource.name, state, breaker.openUntil, allWaits(), prefetched !== undefined && !prefetched.settled));

  const traversal = (): string => traversalName(input, resource.name, state);
  const fetchAt = (pageNumber: number, cursor: PageCursor | null): PendingFetch => {
    const request = { runId: input.runId, spec: input.spec, traversal: traversal(), source: input.source, resource, pathTemplate: input.pathTemplate, sink: input.sink, pageNumber, cursor };
    // What the Web UI shows for the activity: which page of what (the path is the spec's, in history already).
    const shown = `GET ${resource.path} page ${pageNumber}${input.partition ? ` (partition ${input.partition.index})` : ''}`;
    const summary = breaker.run(
      () => fetchPage.executeWithOptions({ ...fetchOptions, summary: shown }, [request]),
      () => probePage.executeWithOptions({ ...probeOptions, summary: `${shown}, probe after the circuit opened` }, [request]),
    );
    const pending: PendingFetch = { pageNumber, summary, settled: false };
    // Settled-tracking doubles as the rejection handler, so a prefetch that fails is not "unhandled" before we await it.
    summary.then(() => (pending.settled = true), () => (pending.settled = true));
    return pending;
  };

  let pagesThisRun = 0;
  progress.publish();
  for (;;) {
    await condition(() => !state.paused);
    if (shouldContinueAsNew(pagesThisRun, execution.pagesBeforeContinueAsNew)) {
      // A page fetched ahead is already staged: hand its summary to the next run instead of fetching it again.
      const ahead = prefetched === undefined ? undefined : await prefetched.summary;
      await condition(allHandlersFinished);
      return continueAsNew<typeof exportResource>({
        ...input,
        carried: { ...state, fetchedAhead: ahead, continuedAsNew: state.continuedAsNew + 1 },
      });
    }
    const pageNumber = state.nextPageNumber;
    try {
      const current = prefetched?.pageNumber === pageNumber ? prefetched : fetchAt(pageNumber, state.cursor);
      prefetched = current;
      const page = await current.summary;
      const persisting = retryWhileSinkDown(() => persistPage({
        runId: input.runId,
        traversal: traversal(),
        sink: input.sink,
        resource: { name: resource.name, primaryKey: resource.primaryKey, schema: resource.schema, recordDefaults: input.recordDefaults },
        ref: page.ref,
        pageNumber,
        cursorBefore: page.requested,
        cursorAfter: describeCursor(page.next),
        sha256: page.sha256,
      }), noteSinkDown);
      // Fetch page N+1 while page N is persisted; the cursor still advances only after the persist succeeds.
      const mayPrefetch = page.next !== null && !state.paused && !shouldContinueAsNew(pagesThisRun + 1, execution.pagesBeforeContinueAsNew);
      prefetched = mayPrefetch ? fetchAt(pageNumber + 1, page.next) : undefined;
      const persisted = await persisting;
      traversalMetrics.persisted(persisted, state.circuit.openMs ?? 0);
      const after = afterPage(state, page, persisted, resource, startCursor);
      Object.assign(state, after.state);
      pagesThisRun += 1;
      progress.publish();
      if (after.failure !== undefined) {
        if (after.failure.type === FailureType.ForeignLink) state.lastError = page.refusedNext ?? null;
        throw after.failure;
      }
      if (after.step !== 'finished') continue;
      break;
    } catch (error) {
      if (error instanceof ActivityFailure) state.lastError = error.cause?.message ?? error.message;
      if (stagedPageLost(error)) {
        // The sink lost its tables (dropped, restored) with the page staged in them: fetch the page again.
        prefetched = undefined;
        continue;
      }
      if (cursorExpired(error) && state.cursorRecoveries < MAX_CURSOR_RECOVERIES) {
        // The server no longer honours its own cursor: start the traversal again. Upserts keep the result exact.
        state.cursorRecoveries += 1;
        state.cursor = startCursor;
        prefetched = undefined;
        continue;
      }
      throw error;
    }
  }

  const finishedAt = new Date();
  return {
    resource: resource.name,
    workflowId: input.workflowId,
    status: 'completed',
    ...countersOf(state),
    expectedAtStart: state.expectedAtStart,
    expectedAtEnd: state.expectedAtEnd,
    cursorRecoveries: state.cursorRecoveries,
    firstInvalid: state.firstInvalid,
    drift: state.drift,
    reconciliation: state.reconciliation,
    circuitOpenings: state.circuit.openings,
    waits: allWaits(),
    startCursor: state.startCursor,
    endCursor: state.endCursor,
    startedAt: state.startedAt,
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - Date.parse(state.startedAt),
    continuedAsNew: state.continuedAsNew,
  };
}
