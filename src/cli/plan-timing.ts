/**
 * How long a run takes, modelled on how a run sends its requests: each traversal is one request after the other
 * (the next page is fetched while the last is persisted, so a page costs about one round trip plus the
 * workflow's turn); partitions and a fan-out's parents run their traversals side by side, up to their
 * `maxParallel`; resources run side by side up to `execution.maxParallelResources`, parents before their
 * children, a child holding its slot while it waits for its parent. Over all of it, the source's budget caps
 * requests per second, and each worker caps the requests it has in flight.
 */
export interface TimedResource {
  name: string;
  /** The resource of this spec it waits for (a nested resource's parent), if any. */
  after?: string;
  /** Pages the traversals fetch, second passes included. */
  requests: number;
  /** Traversals (child workflows): 1, one per partition, or one per parent. */
  traversals: number;
  /** Traversals running at once. */
  lanes: number;
  /** Requests sent one at a time after the traversal: the completeness spot check, the update scan. */
  afterwards: number;
}

export interface RunTiming {
  seconds: number;
  /** What bounds the estimate: the request budget, the workers' concurrency, or the round trips themselves. */
  boundBy: 'requests-per-second' | 'concurrent-requests' | 'latency';
}

/*
 * What the Temporal side costs, measured on a local dev server, worker and PostgreSQL sharing two cores (a
 * cluster is faster per page; the shape holds). One traversal at a time: a page costs its round trip plus
 * PAGE_OVERHEAD (the fetch and persist activities and the workflow task between pages, partly overlapped),
 * a traversal TRAVERSAL_OVERHEAD (its child workflow started and finished). Side by side, traversals share the
 * worker and server: each page then takes PAGE_WORK and each traversal TRAVERSAL_WORK of their capacity, which
 * more lanes do not multiply. After each resource: the completeness checks and the deletion scan child.
 */
export const PAGE_OVERHEAD_SECONDS = 0.1;
export const TRAVERSAL_OVERHEAD_SECONDS = 0.25;
export const PAGE_WORK_SECONDS = 0.025;
export const TRAVERSAL_WORK_SECONDS = 0.11;
export const RESOURCE_OVERHEAD_SECONDS = 0.7;

export interface TimingLimits {
  latencySeconds: number;
  requestsPerSecond: number;
  concurrentRequests: number;
  maxParallelResources: number;
}

/** The worker and server time a resource's traversals take, however many lanes share it. */
function workSeconds(r: TimedResource): number {
  return r.requests * PAGE_WORK_SECONDS + r.traversals * TRAVERSAL_WORK_SECONDS;
}

/** A resource's time on its own: its traversals' round trips shared over its lanes (no faster than the work allows), then the checks after. */
function resourceSeconds(r: TimedResource, limits: TimingLimits): number {
  const lanes = Math.max(1, Math.min(r.lanes, r.traversals));
  const roundTrips = (r.requests * (limits.latencySeconds + PAGE_OVERHEAD_SECONDS) + r.traversals * TRAVERSAL_OVERHEAD_SECONDS) / lanes;
  const shared = workSeconds(r) + (r.requests * limits.latencySeconds) / lanes;
  return Math.max(roundTrips, shared) + r.afterwards * limits.latencySeconds + RESOURCE_OVERHEAD_SECONDS;
}

/** Runs the resources through a pool of `maxParallelResources` slots in the run's order, as exportRun does. */
function makespan(resources: TimedResource[], limits: TimingLimits): number {
  const slots: number[] = Array.from({ length: Math.max(1, limits.maxParallelResources) }, () => 0);
  const finished = new Map<string, number>();
  for (const r of resources) {
    const slot = slots.indexOf(Math.min(...slots));
    const start = Math.max(slots[slot] ?? 0, r.after === undefined ? 0 : (finished.get(r.after) ?? 0));
    const end = start + resourceSeconds(r, limits);
    slots[slot] = end;
    finished.set(r.name, end);
  }
  return Math.max(0, ...finished.values());
}

/** The run's duration: the longest of the schedule, the worker's capacity, the request budget and the workers' concurrency allow. */
export function runTiming(resources: TimedResource[], limits: TimingLimits): RunTiming {
  const requests = resources.reduce((n, r) => n + r.requests + r.afterwards, 0);
  const candidates: Array<[number, RunTiming['boundBy']]> = [
    [makespan(resources, limits), 'latency'],
    // Resources side by side share one worker's capacity too.
    [resources.reduce((n, r) => n + workSeconds(r), 0), 'latency'],
    [requests / limits.requestsPerSecond, 'requests-per-second'],
    [(requests * limits.latencySeconds) / Math.max(1, limits.concurrentRequests), 'concurrent-requests'],
  ];
  const [seconds, boundBy] = candidates.reduce((a, b) => (b[0] > a[0] ? b : a));
  return { seconds, boundBy };
}
