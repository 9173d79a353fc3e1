import { patched, type ActivityOptions } from '@temporalio/workflow';
import { sourceRequestQueue } from '../sources/request-budget';
import type { ExecutionConfig, SourceConfig } from '../spec/export-spec';

/**
 * Timeouts and retries of our activities. Retryable failures set their own jittered `nextRetryDelay`; the
 * policy's intervals apply only to failures that do not (a worker lost mid-attempt, say).
 */
export function activityOptions(execution: ExecutionConfig, maximumAttempts: number): ActivityOptions {
  return {
    startToCloseTimeout: `${execution.activityTimeoutSeconds}s`,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts },
  };
}

/**
 * The deployment-wide request queue that runs started before per-source budgets fetch on, polled by every
 * worker with the environment's budget (LMS_EXPORT_REQUESTS_PER_SECOND, LMS_EXPORT_CONCURRENT_REQUESTS).
 */
export function requestQueueOf(taskQueue: string): string {
  return `${taskQueue}-requests`;
}

/**
 * Where this run's page requests go: the source's own request queue (sources/request-budget.ts); runs started
 * by older versions keep the queue they began on, so a replay issues the same commands.
 */
export function pageRequestQueue(taskQueue: string, source: SourceConfig): string | undefined {
  if (patched('page-requests-per-source')) return sourceRequestQueue(taskQueue, source);
  if (patched('page-requests-on-request-queue')) return requestQueueOf(taskQueue);
  return undefined;
}
