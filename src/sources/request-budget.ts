import type { SourceConfig } from '../spec/export-spec';
import { PRESET_REQUEST_BUDGETS } from './preset-budgets';

/**
 * One source's request budget and the task queue that enforces it. Page requests to a source run on a queue
 * of their own, named after the source's host, so every export of that host — whichever spec, whichever run —
 * shares one requests-per-second ceiling (the Temporal server enforces `maxTaskQueueActivitiesPerSecond`
 * across all pollers of a queue) and each worker caps its own concurrent requests to it.
 *
 * Pure (no Node built-ins): the workflow derives the queue from its spec the same way the client does.
 */
export interface SourceRequestBudget {
  requestsPerSecond: number;
  concurrentRequestsPerWorker: number;
}

/** What a worker needs to poll a source's request queue: written to each run's memo, read by every worker. */
export interface RequestQueueBudget extends SourceRequestBudget {
  queue: string;
}

/** The memo key under which a run publishes its source's request queue. */
export const REQUEST_QUEUE_MEMO = 'lmsExportRequestQueue';

/** The spec's own budget, with the preset's defaults filling what it leaves out. */
export function sourceRequestBudget(source: SourceConfig): SourceRequestBudget {
  const defaults = PRESET_REQUEST_BUDGETS[source.preset];
  return {
    requestsPerSecond: source.requestBudget?.requestsPerSecond ?? defaults.requestsPerSecond,
    concurrentRequestsPerWorker: source.requestBudget?.concurrentRequestsPerWorker ?? defaults.concurrentRequestsPerWorker,
  };
}

/** `host[:port]` of the base URL, lower-cased, in the characters a task queue name keeps readable. */
function sourceHost(baseUrl: string): string {
  const authority = /^https?:\/\/([^\s/?#]+)/i.exec(baseUrl)?.[1] ?? baseUrl;
  const host = authority.slice(authority.lastIndexOf('@') + 1).toLowerCase();
  return host.replace(/[^a-z0-9.-]/g, '_');
}

/** The task queue page requests to `source` run on, beside the deployment's main queue. */
export function sourceRequestQueue(taskQueue: string, source: Pick<SourceConfig, 'baseUrl'>): string {
  return `${taskQueue}-requests-${sourceHost(source.baseUrl)}`;
}

export function requestQueueBudget(taskQueue: string, source: SourceConfig): RequestQueueBudget {
  return { queue: sourceRequestQueue(taskQueue, source), ...sourceRequestBudget(source) };
}

/** A memo value written by a run, if it is one (memos are user data: anything may be there). */
export function readRequestQueueMemo(memo: Record<string, unknown> | undefined): RequestQueueBudget | undefined {
  const value = memo?.[REQUEST_QUEUE_MEMO] as Partial<RequestQueueBudget> | undefined;
  if (typeof value?.queue !== 'string' || !(Number(value.requestsPerSecond) > 0) || !(Number(value.concurrentRequestsPerWorker) >= 1)) return undefined;
  return { queue: value.queue, requestsPerSecond: Number(value.requestsPerSecond), concurrentRequestsPerWorker: Math.floor(Number(value.concurrentRequestsPerWorker)) };
}
