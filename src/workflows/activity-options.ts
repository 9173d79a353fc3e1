import type { ActivityOptions } from '@temporalio/workflow';
import type { ExecutionConfig } from '../spec/export-spec';

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
 * The task queue page requests run on: beside the main one, polled by every worker with the shared request
 * budget (`maxTaskQueueActivitiesPerSecond` is enforced by the server across all of them).
 */
export function requestQueueOf(taskQueue: string): string {
  return `${taskQueue}-requests`;
}
