/** Where Temporal is and which queue our workers poll; from the environment, with local defaults. */
export const TASK_QUEUE = 'lms-export';

export function temporalAddress(env: NodeJS.ProcessEnv = process.env): string {
  return env['TEMPORAL_ADDRESS'] ?? 'localhost:7233';
}

export function temporalNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env['TEMPORAL_NAMESPACE'] ?? 'default';
}

/** `TEMPORAL_UI_URL`: the Web UI of the server at TEMPORAL_ADDRESS (the API has no UI address to ask), if set. */
export function temporalUiUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env['TEMPORAL_UI_URL']?.replace(/\/+$/, '') || undefined;
}

/** A workflow's page in the Web UI (a run's history, given its run id). */
export function workflowPageUrl(uiUrl: string, namespace: string, workflowId: string, runId?: string): string {
  const run = runId === undefined ? '' : `/${encodeURIComponent(runId)}/history`;
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}${run}`;
}

export function taskQueue(env: NodeJS.ProcessEnv = process.env): string {
  return env['LMS_EXPORT_TASK_QUEUE'] ?? TASK_QUEUE;
}

/**
 * Limits an operator sets on one deployment, over every source's own budget (the lower number wins), and the
 * budget of the deployment-wide request queue that runs started by older versions still fetch on.
 */
export interface RequestCeiling {
  /** Page requests per second to one source, across all workers (enforced by the Temporal server). */
  requestsPerSecond?: number;
  /** Page requests to one source that one worker runs at once. */
  concurrentRequests?: number;
}

export function requestCeiling(env: NodeJS.ProcessEnv = process.env): RequestCeiling {
  const perSecond = env['LMS_EXPORT_REQUESTS_PER_SECOND'];
  const concurrent = env['LMS_EXPORT_CONCURRENT_REQUESTS'];
  const ceiling: RequestCeiling = {};
  if (perSecond) ceiling.requestsPerSecond = Number(perSecond);
  if (concurrent) ceiling.concurrentRequests = Number(concurrent);
  if (ceiling.requestsPerSecond !== undefined && !(ceiling.requestsPerSecond > 0)) {
    throw new Error(`LMS_EXPORT_REQUESTS_PER_SECOND must be a positive number, got "${perSecond}"`);
  }
  if (ceiling.concurrentRequests !== undefined && !(Number.isInteger(ceiling.concurrentRequests) && ceiling.concurrentRequests >= 1)) {
    throw new Error(`LMS_EXPORT_CONCURRENT_REQUESTS must be a whole number ≥ 1, got "${concurrent}"`);
  }
  return ceiling;
}

/** How long a stopping worker lets its running activities finish when LMS_EXPORT_SHUTDOWN_GRACE_SECONDS is not set. */
export const DEFAULT_SHUTDOWN_GRACE_SECONDS = 5;

/**
 * How long a worker told to stop (SIGTERM, SIGINT) lets the activities it runs finish before it cancels them;
 * a cancelled page request is aborted at once and retried by another worker, so the process exits soon after.
 */
export function shutdownGraceSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const value = env['LMS_EXPORT_SHUTDOWN_GRACE_SECONDS'];
  if (value === undefined || value.trim() === '') return DEFAULT_SHUTDOWN_GRACE_SECONDS;
  const seconds = Number(value);
  if (!(Number.isFinite(seconds) && seconds >= 0)) {
    throw new Error(`LMS_EXPORT_SHUTDOWN_GRACE_SECONDS must be a number of seconds ≥ 0 (e.g. 5), got "${value}"`);
  }
  return seconds;
}

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** How much the worker and the demo log (SDK and worker start-up messages appear from `debug`); default `warn`. */
export function logLevel(env: NodeJS.ProcessEnv = process.env): LogLevelName {
  const value = env['LMS_EXPORT_LOG_LEVEL'];
  if (value === undefined || value === '') return 'warn';
  const level = LOG_LEVELS.find((l) => l === value.toLowerCase());
  if (level === undefined) throw new Error(`LMS_EXPORT_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}; got "${value}"`);
  return level;
}
