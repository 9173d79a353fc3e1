import { currentContext } from './activity-context';

/**
 * The metrics page requests emit, through the activity's metric meter: exported by the worker's Prometheus
 * endpoint when LMS_EXPORT_METRICS_PORT is set (a no-op meter otherwise, and outside an activity). The
 * activity's scope (activity-scope.ts) labels each with its spec, resource and source host. The workflows emit
 * the rest (workflows/run-metrics.ts); the README's "Metrics" section lists them all.
 */

/** What became of a request: its status class, or `network` when no whole answer came (reset, refused, timed out, cut off). */
export type RequestOutcome = '2xx' | '3xx' | '4xx' | '5xx' | 'network';

export function outcomeOf(status: number | undefined): RequestOutcome {
  if (status === undefined) return 'network';
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  return '2xx';
}

/**
 * Why time passed without a page: `server` (Retry-After, reset headers), `backoff` (ours, after a failure),
 * `abandoned` (a request given up on for taking far longer than the source does, latency.ts) and
 * `failed_request` (other requests that failed before their retry). Workflows add `paused` and `circuit`.
 */
export type WaitCause = 'server' | 'backoff' | 'abandoned' | 'failed_request';

function meter() {
  return currentContext()?.metricMeter;
}

export function countRequest(status: number | undefined): void {
  meter()?.createCounter('lms_export_requests', 'requests', 'HTTP requests to sources, by status class').add(1, { status_class: outcomeOf(status) });
}

/** A 429, or a 403 that says it is a rate limit. */
export function countThrottled(status: number): void {
  meter()?.createCounter('lms_export_throttled', 'answers', 'Throttled answers from sources (429, throttle 403)').add(1, { status: String(status) });
}

export function recordWait(cause: WaitCause, ms: number): void {
  if (!(ms > 0)) return;
  meter()?.createHistogram('lms_export_wait_seconds', 'float', 's', 'Time lost without a page, by cause').record(ms / 1000, { cause });
}

export function countPageFetched(records: number): void {
  const current = meter();
  if (current === undefined) return;
  current.createCounter('lms_export_pages_fetched', 'pages', 'Pages fetched and staged').add(1);
  current.createCounter('lms_export_records_fetched', 'records', 'Records on the pages fetched').add(records);
}
