import { ApplicationFailure } from '@temporalio/activity';
import { presetOf } from '../sources/resolve-paging';
import type { SourceConfig } from '../spec/export-spec';
import { currentContext, warn } from './activity-context';
import { performance } from 'node:perf_hooks';
import { heartbeatAttempt, noteFailure, noteNotice, type FailureTiming } from './attempt-log';
import { attemptNumber, backoffMs } from './backoff';
import { classifyResponse, DEFAULT_MAX_SERVER_WAIT_MS, scrubbed } from './classify-response';
import type { Credentials } from './credentials';
import { pacer, type BucketShape } from './pacer';
import { INVALID_UTF8_NOTICE } from './invalid-utf8-notice';
import { BodyTooLargeError, httpGet, limitsOf, RequestAbandonedError, type HttpAnswer, type RequestLimits } from './http-client';
import { countRequest, countThrottled, recordWait } from './export-metrics';
import { DEFAULT_LATENCY_SETTINGS, latency } from './latency';
import { JsonNestingError, parseJson } from '../pagination/record-json';
import { shownRequest } from './shown-request';
import { failure, FailureType } from '../failures';

/** A retryable failure whose next attempt comes after `delayMs` (a jittered backoff unless the server said). */
function retry(message: string, type: string, timing: FailureTiming, serverWaitMs?: number): ApplicationFailure {
  const delayMs = serverWaitMs ?? backoffMs(attemptNumber());
  noteFailure(type, delayMs, { ...timing, serverDirected: serverWaitMs !== undefined });
  recordWait(serverWaitMs !== undefined ? 'server' : 'backoff', delayMs);
  recordWait(type === REQUEST_ABANDONED ? 'abandoned' : 'failed_request', timing.requestMs);
  return ApplicationFailure.create({ message, type, nextRetryDelay: delayMs });
}

export interface JsonAnswer {
  answer: HttpAnswer;
  body: unknown;
}

/**
 * A request still running after this long heartbeats, and again each time this passes: the server answers a
 * heartbeat with the attempt's cancellation (the workflow cancelled it, or it timed out), which aborts the
 * request. Quick requests, most of them, never heartbeat.
 */
const HEARTBEAT_EVERY_MS = 1_000;

/**
 * The request's limits inside an activity: never longer than the attempt itself, and aborted when the attempt
 * is cancelled (by the workflow, a timeout the server noticed, or the worker shutting down).
 */
function activityLimits(source: SourceConfig, origin: string): RequestLimits {
  const limits = { ...limitsOf(source), timeouts: latency.timeouts(origin, source.requestTimeoutMs, source.latencyTimeouts ?? DEFAULT_LATENCY_SETTINGS, attemptNumber()) };
  const context = currentContext();
  if (context === undefined) return limits;
  const attemptMs = context.info.startToCloseTimeoutMs;
  return {
    ...limits,
    ...(attemptMs > 0 && attemptMs < limits.deadlineMs ? { deadlineMs: attemptMs, deadlineSetting: "the attempt's start-to-close timeout, execution.activityTimeoutSeconds" } : {}),
    signal: context.cancellationSignal,
  };
}

/** The attempt-log cause of a request abandoned because it took far longer than the source's latency (latency.ts). */
export const REQUEST_ABANDONED = FailureType.RequestAbandoned;

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const LENIENT_UTF8 = new TextDecoder('utf-8');

/** The body as text, and whether it held bytes that are not UTF-8 (read as U+FFFD, as a browser reads them). */
function bodyTextOf(body: Buffer): { text: string; repaired: boolean } {
  try {
    return { text: STRICT_UTF8.decode(body), repaired: false };
  } catch {
    return { text: LENIENT_UTF8.decode(body), repaired: true };
  }
}

function bucketOf(source: SourceConfig): BucketShape {
  // Specs written before `highWater` existed lack it: Canvas's bucket.
  return { leakPerSecond: source.rateLimit.leakPerSecond, highWater: source.rateLimit.highWater ?? 700 };
}

/**
 * GET a URL of the source and read its JSON, turning every failure into the Temporal failure it deserves:
 * non-retryable for what a retry cannot fix, retryable for faults, a server-directed wait when throttled.
 * `url` is the URL we keep; credentials are added only to the request sent.
 */
export async function getJson(url: string, source: SourceConfig, credentials: Credentials, what: string, carriesCursor = false): Promise<JsonAnswer> {
  // Messages name the request as sent (query included, credentials and cursors masked): which parameter was refused.
  const path = shownRequest(url);
  const origin = new URL(url).origin;
  const bucket = bucketOf(source);
  const limits = activityLimits(source, origin);
  const paced = await pacer.wait(origin, bucket);
  let answer: HttpAnswer;
  const heartbeats = limits.signal === undefined ? undefined : setInterval(heartbeatAttempt, HEARTBEAT_EVERY_MS);
  const started = performance.now();
  /** What a retry of this request records: how long the failed request ran. */
  const failed = (): FailureTiming => ({ requestMs: Math.round(performance.now() - started), serverDirected: false });
  try {
    answer = await httpGet(credentials.sendable(url), source, credentials.headers, limits);
  } catch (error) {
    // A cancelled attempt ends as cancelled, not as a fault to retry.
    if (limits.signal?.aborted && error === limits.signal.reason) throw error;
    countRequest(undefined);
    if (error instanceof BodyTooLargeError) throw failure(FailureType.PageTooLarge, `${what}: ${error.message}`);
    // Longer than the source ever takes: given up on in seconds and tried again, with more time.
    if (error instanceof RequestAbandonedError) throw retry(`${what}: GET ${path} ${error.message}`, REQUEST_ABANDONED, failed());
    // Resets, refused connections, timeouts, bodies cut short: the network's faults, worth another try.
    const cause = error as { code?: string; message?: string };
    throw retry(`${what}: GET ${path} failed: ${cause.code ?? ''} ${cause.message ?? String(error)}`.replace(/\s+/g, ' '), FailureType.NetworkError, failed());
  } finally {
    clearInterval(heartbeats);
    paced.done();
  }
  countRequest(answer.status);
  const paceWarning = pacer.observe(origin, answer.headers, bucket);
  if (paceWarning !== undefined) {
    warn(`${what}: ${paceWarning}`, { origin });
    noteNotice('RateLimitHeaderOutOfRange');
  }
  const { text: bodyText, repaired } = bodyTextOf(answer.body);
  const verdict = classifyResponse({
    status: answer.status,
    headers: answer.headers,
    bodyText: bodyText.slice(0, 2_000),
    method: 'GET',
    path,
    tokenEnv: credentials.tokenEnv,
    carriesCursor,
    now: Date.now(),
    maxServerWaitMs: (source.maxServerWaitSeconds ?? DEFAULT_MAX_SERVER_WAIT_MS / 1000) * 1000,
  });
  if (verdict.kind === 'throttled' || (verdict.kind === 'fatal' && verdict.type === FailureType.ServerWaitTooLong)) countThrottled(answer.status);
  if (verdict.kind === 'fatal') throw failure(verdict.type, `${what}: ${verdict.message}`);
  if (verdict.kind === 'throttled') {
    // Wait exactly as long as the server said (a durable timer on the server side, not a sleeping worker).
    throw retry(verdict.message, FailureType.Throttled, failed(), verdict.retryAfterMs);
  }
  if (verdict.kind === 'retry') throw retry(verdict.message, FailureType.ServerError, failed());

  let body: unknown;
  try {
    body = parseJson(bodyText);
  } catch (error) {
    if (error instanceof JsonNestingError) {
      throw failure(FailureType.PageTooDeep, `${what}: GET ${path}: ${error.message}; a retry reads the same body`);
    }
    throw retry(`${what}: unreadable JSON from ${path} (${answer.body.length} bytes)`, FailureType.UnreadableBody, failed());
  }
  if (repaired) {
    warn(`${what}: GET ${path} sent bytes that are not UTF-8; they are stored as U+FFFD`, { path: new URL(url).pathname });
    noteNotice(INVALID_UTF8_NOTICE);
  }
  const bodyError = presetOf(source).bodyError?.(body);
  if (bodyError !== undefined) {
    const hint = bodyError.type === FailureType.Unauthorized && credentials.tokenEnv !== undefined ? ` (check the token in ${credentials.tokenEnv})` : '';
    const message = `${what}: ${scrubbed(bodyError.message)} on GET ${path}${hint}`;
    throw bodyError.retryable ? retry(message, bodyError.type, failed()) : ApplicationFailure.nonRetryable(message, bodyError.type);
  }
  return { answer, body };
}
