import { condition, proxyActivities, workflowInfo, type ActivityInterfaceFor, type ActivityOptions } from '@temporalio/workflow';
import type { ExportActivities } from '../activities';
import { activityFailureType, FailureType } from '../failures';
import type { PageSummary } from '../activities/fetch-page';
import { describeCursor } from '../pagination/types';
import { executionSchema, resourceSchema, type ExecutionConfig, type ResourceConfig } from '../spec/export-spec';
import { activityOptions, pageRequestQueue } from './activity-options';
import { CircuitBreaker } from './circuit-breaker';
import type { ResourceRunInput, TraversalState } from './export-resource';
import { afterParentPage, parentTraversalName } from './parent-pages';
import { startingTraversal } from './page-step';
import { runLabels, TraversalMetrics } from './run-metrics';
import { retryWhileSinkDown } from './sink-down';
import { addWaits, NO_WAITS } from './waits';

/** One parent of a fan-out: its filled path, its audit-trail scope (`course_id=7`) and the fields its rows get. */
export interface ParentTarget {
  path: string;
  scope: string;
  recordDefaults: Record<string, string>;
}

/** A parent whose pages the fan-out read: done, or with a next page for a child traversal to go on from. */
export interface ParentRead {
  outcome: 'finished' | 'has-more';
  state: TraversalState;
}

/** Restarts after an expired cursor before the parent fails, as in exportResource. */
const MAX_CURSOR_RECOVERIES = 3;

/**
 * Reads a parent's first page (and, on a positional source, the reconciliation pass's) from the fan-out
 * workflow itself: the same fetchPage activity on the source's request queue (so the request budget, the pacer
 * and the attempt log are the ones every traversal uses), the same persistPage with its audit row and
 * idempotent upsert, the same circuit breaker and sink-down waits. Each page is an activity in the fan-out's
 * history, so a worker killed mid-batch costs at most the page in flight: the replay skips every parent
 * already read. Pauses hold a parent before each of its requests; the time counts as the parent's paused time.
 * A failure is thrown as a child traversal's would be, for the fan-out to record the parent as gone or failed.
 */
export class ParentReader {
  private readonly execution: ExecutionConfig;
  private readonly breakers = new Set<CircuitBreaker>();
  private readonly fetchOptions: ActivityOptions;
  private readonly probeOptions: ActivityOptions;
  private readonly fetchPage: ActivityInterfaceFor<ExportActivities>['fetchPage'];
  private readonly probePage: ActivityInterfaceFor<ExportActivities>['fetchPage'];
  private readonly persistPage: ActivityInterfaceFor<ExportActivities>['persistPage'];
  /** Page requests now outstanding, for progress (a paused fan-out finishes those, then sends nothing). */
  fetching = 0;

  constructor(
    private readonly input: Pick<ResourceRunInput, 'runId' | 'spec' | 'source' | 'sink' | 'execution'> & { resource: ResourceConfig },
    private readonly paused: () => boolean,
  ) {
    this.execution = executionSchema.parse(input.execution);
    const requestQueue = pageRequestQueue(workflowInfo().taskQueue, input.source);
    this.fetchOptions = { ...activityOptions(this.execution, this.execution.circuitBreaker.failures), taskQueue: requestQueue };
    this.probeOptions = { ...activityOptions(this.execution, 1), taskQueue: requestQueue };
    this.fetchPage = proxyActivities<ExportActivities>(this.fetchOptions).fetchPage;
    this.probePage = proxyActivities<ExportActivities>(this.probeOptions).fetchPage;
    this.persistPage = proxyActivities<ExportActivities>(activityOptions(this.execution, this.execution.maxAttempts)).persistPage;
  }

  /** An operator's resume: circuits cooling down probe now, as a traversal's do. */
  closeCircuits(): void {
    for (const breaker of this.breakers) breaker.close();
  }

  async read(target: ParentTarget): Promise<ParentRead> {
    const resource = resourceSchema.parse({ ...this.input.resource, path: target.path, parent: undefined });
    let state = startingTraversal(new Date().toISOString());
    const metrics = new TraversalMetrics(runLabels(this.input.spec, resource.name, this.input.source.baseUrl), 0);
    const breaker = new CircuitBreaker(state.circuit, this.execution.circuitBreaker);
    this.breakers.add(breaker);
    try {
      for (;;) {
        state = await this.unpaused(state, metrics);
        const traversal = parentTraversalName(resource.name, target.scope, state);
        const pageNumber = state.nextPageNumber;
        let page: PageSummary;
        try {
          const request = { runId: this.input.runId, spec: this.input.spec, traversal, source: this.input.source, resource, pathTemplate: this.input.resource.path, sink: this.input.sink, pageNumber, cursor: state.cursor };
          page = await this.fetch(request, breaker);
          const persisted = await retryWhileSinkDown(
            () =>
              this.persistPage({
                runId: this.input.runId,
                traversal,
                sink: this.input.sink,
                resource: { name: resource.name, primaryKey: resource.primaryKey, schema: resource.schema, recordDefaults: target.recordDefaults },
                ref: page.ref,
                pageNumber,
                cursorBefore: page.requested,
                cursorAfter: describeCursor(page.next),
                sha256: page.sha256,
              }),
            () => undefined,
          );
          metrics.persisted(persisted, state.circuit.openMs ?? 0);
          const after = afterParentPage(state, page, persisted, resource);
          state = after.state;
          if (after.step !== 'second-pass') return { outcome: after.step, state };
        } catch (error) {
          // The sink lost its tables with the page staged in them: fetch the page again.
          if (activityFailureType(error) === FailureType.StagedPageLost) continue;
          if (activityFailureType(error) === FailureType.CursorExpired && state.cursorRecoveries < MAX_CURSOR_RECOVERIES) {
            state = { ...state, cursorRecoveries: state.cursorRecoveries + 1, cursor: null };
            continue;
          }
          throw error;
        }
      }
    } finally {
      this.breakers.delete(breaker);
    }
  }

  private async fetch(request: Parameters<ExportActivities['fetchPage']>[0], breaker: CircuitBreaker): Promise<PageSummary> {
    // What the Web UI shows for the activity: which page of what (the path is the spec's, in history already).
    const shown = `GET ${request.resource.path} page ${request.pageNumber}`;
    return breaker.run(
      () => this.outstanding(this.fetchPage.executeWithOptions({ ...this.fetchOptions, summary: shown }, [request])),
      () => this.outstanding(this.probePage.executeWithOptions({ ...this.probeOptions, summary: `${shown}, probe after the circuit opened` }, [request])),
    );
  }

  /** Counts a page request as outstanding until its activity settles (a circuit's cool-down is not a request). */
  private async outstanding<T>(request: Promise<T>): Promise<T> {
    this.fetching += 1;
    try {
      return await request;
    } finally {
      this.fetching -= 1;
    }
  }

  /** Holds the parent while the fan-out is paused; the wait counts as paused time, in its waits and metrics. */
  private async unpaused(state: TraversalState, metrics: TraversalMetrics): Promise<TraversalState> {
    if (!this.paused()) return state;
    const since = Date.now();
    await condition(() => !this.paused());
    const pausedMs = Date.now() - since;
    metrics.resumed(pausedMs);
    return { ...state, waits: addWaits(state.waits, { ...NO_WAITS, pausedMs }) };
  }
}
