import { ApplicationFailure } from '@temporalio/activity';
import { presetOf } from '../sources/resolve-paging';
import type { SourceConfig } from '../spec/export-spec';
import { noteFailure } from './attempt-log';
import { attemptNumber, backoffMs } from './backoff';
import { classifyResponse } from './classify-response';
import type { Credentials } from './credentials';
import { pacer } from './pacer';
import { httpGet, type HttpAnswer } from './http-client';

/** A retryable failure whose next attempt comes after `delayMs` (a jittered backoff unless the server said). */
function retry(message: string, type: string, delayMs = backoffMs(attemptNumber())): ApplicationFailure {
  noteFailure(type, delayMs);
  return ApplicationFailure.create({ message, type, nextRetryDelay: delayMs });
}

export interface JsonAnswer {
  answer: HttpAnswer;
  body: unknown;
}

/**
 * GET a URL of the source and read its JSON, turning every failure into the Temporal failure it deserves:
 * non-retryable for what a retry cannot fix, retryable for faults, a server-directed wait when throttled.
 * `url` is the URL we keep; credentials are added only to the request sent.
 */
export async function getJson(url: string, source: SourceConfig, credentials: Credentials, what: string, carriesCursor = false): Promise<JsonAnswer> {
  const path = new URL(url).pathname;
  const origin = new URL(url).origin;
  await pacer.wait(origin, source.rateLimit.leakPerSecond);
  let answer: HttpAnswer;
  try {
    answer = await httpGet(credentials.sendable(url), source, credentials.headers);
    pacer.observe(origin, answer.headers);
  } catch (error) {
    // Resets, refused connections, timeouts, bodies cut short: the network's faults, worth another try.
    const cause = error as { code?: string; message?: string };
    throw retry(`${what}: GET ${path} failed: ${cause.code ?? ''} ${cause.message ?? String(error)}`.replace(/\s+/g, ' '), 'NetworkError');
  }
  const bodyText = answer.body.toString('utf8');
  const verdict = classifyResponse({
    status: answer.status,
    headers: answer.headers,
    bodyText: bodyText.slice(0, 2_000),
    method: 'GET',
    path,
    tokenEnv: credentials.tokenEnv,
    carriesCursor,
    now: Date.now(),
  });
  if (verdict.kind === 'fatal') throw ApplicationFailure.nonRetryable(`${what}: ${verdict.message}`, verdict.type);
  if (verdict.kind === 'throttled') {
    // Wait exactly as long as the server said (a durable timer on the server side, not a sleeping worker).
    throw retry(verdict.message, 'Throttled', verdict.retryAfterMs ?? backoffMs(attemptNumber()));
  }
  if (verdict.kind === 'retry') throw retry(verdict.message, 'ServerError');

  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    throw retry(`${what}: unreadable JSON from ${path} (${answer.body.length} bytes)`, 'UnreadableBody');
  }
  const bodyError = presetOf(source).bodyError?.(body);
  if (bodyError !== undefined) {
    const hint = bodyError.type === 'AuthRejected' && credentials.tokenEnv !== undefined ? ` (check the token in ${credentials.tokenEnv})` : '';
    const message = `${what}: ${bodyError.message} on GET ${path}${hint}`;
    throw bodyError.retryable ? retry(message, bodyError.type) : ApplicationFailure.nonRetryable(message, bodyError.type);
  }
  return { answer, body };
}
