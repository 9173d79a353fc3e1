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

/** Limits an operator sets on one deployment, over every source's own budget (the lower number wins). */
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

export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * How the worker's log lines look (`LMS_EXPORT_LOG_FORMAT`): `text` for a person at a terminal, `json` (one object
 * a line) for a log collector. Unset, it follows where the logs go: text on a terminal, JSON anywhere else.
 */
export function logFormat(env: NodeJS.ProcessEnv = process.env, toTerminal = process.stderr.isTTY === true): LogFormat {
  const value = env['LMS_EXPORT_LOG_FORMAT'];
  if (value === undefined || value === '') return toTerminal ? 'text' : 'json';
  const format = LOG_FORMATS.find((f) => f === value.toLowerCase());
  if (format === undefined) throw new Error(`LMS_EXPORT_LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}; got "${value}"`);
  return format;
}

/**
 * Where the worker serves Prometheus metrics at `/metrics` (`LMS_EXPORT_METRICS_PORT`): a port, on every
 * interface so a scraper in another container reaches it, or `host:port` to choose the interface
 * (`127.0.0.1:9464`). Unset: no metrics endpoint.
 */
export function metricsBindAddress(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env['LMS_EXPORT_METRICS_PORT']?.trim();
  if (value === undefined || value === '') return undefined;
  const match = /^(?:(.+):)?(\d+)$/.exec(value);
  const port = Number(match?.[2]);
  if (match === null || !(Number.isInteger(port) && port >= 1 && port <= 65_535)) {
    throw new Error(`LMS_EXPORT_METRICS_PORT must be a port number from 1 to 65535 (e.g. 9464), or host:port (e.g. 127.0.0.1:9464); got "${value}"`);
  }
  return `${match[1] ?? '0.0.0.0'}:${port}`;
}
