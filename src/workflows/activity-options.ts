import { deprecatePatch, type ActivityOptions } from '@temporalio/workflow';
import { sourceRequestQueue } from '../sources/request-budget';
import type { ExecutionConfig, SourceConfig } from '../spec/export-spec';
import { PATCHES } from './patches';

/** How long an attempt may go without a heartbeat when the spec does not say (specs written before the setting). */
export const DEFAULT_HEARTBEAT_TIMEOUT_SECONDS = 10;

/** How long a workflow task may take when the spec does not say (specs written before the setting). */
export const DEFAULT_WORKFLOW_TASK_TIMEOUT_SECONDS = 5;

/**
 * The workflow task timeout of a run or child: a worker killed while it holds a workflow task leaves that task
 * with the server until this expires (a task not yet picked up moves on after the sticky queue's 1 s). Histories
 * stay bounded by continue-as-new, so a cold replay fits well within it.
 */
export function workflowTaskTimeout(execution: Partial<Pick<ExecutionConfig, 'workflowTaskTimeoutSeconds'>> | undefined): `${number}s` {
  return `${execution?.workflowTaskTimeoutSeconds ?? DEFAULT_WORKFLOW_TASK_TIMEOUT_SECONDS}s`;
}

/**
 * Timeouts and retries of our activities. Retryable failures set their own jittered `nextRetryDelay`; the
 * policy's intervals apply only to failures that do not (a worker lost mid-attempt, say). Every activity
 * heartbeats while it runs (activities/keep-alive.ts), so an attempt whose worker died is retried elsewhere
 * after the heartbeat timeout, seconds, rather than after the start-to-close timeout.
 */
export function activityOptions(execution: ExecutionConfig, maximumAttempts: number): ActivityOptions {
  // Runs started before the setting existed carry executions without it.
  const heartbeatTimeoutSeconds = execution.heartbeatTimeoutSeconds ?? DEFAULT_HEARTBEAT_TIMEOUT_SECONDS;
  return {
    startToCloseTimeout: `${execution.activityTimeoutSeconds}s`,
    // Never longer than the attempt itself (the server would shorten it to that anyway).
    heartbeatTimeout: `${Math.min(heartbeatTimeoutSeconds, execution.activityTimeoutSeconds)}s`,
    // Only attempts lost with their worker wait this long (every other failure sets its own delay): retry soon.
    retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts },
  };
}

/**
 * Where this run's page requests go: the source's own request queue (sources/request-budget.ts). The two patches
 * that led here are deprecated (patches.ts): every run, replayed ones too, fetches on the source's queue; the
 * activity's task queue is not part of what a replay compares, so older histories still replay.
 */
export function pageRequestQueue(taskQueue: string, source: SourceConfig): string {
  deprecatePatch(PATCHES.pageRequestsPerSource.id);
  deprecatePatch(PATCHES.pageRequestsOnRequestQueue.id);
  return sourceRequestQueue(taskQueue, source);
}
