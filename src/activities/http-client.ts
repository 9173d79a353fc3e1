import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import type { SourceConfig } from '../spec/export-spec';
import { latency, type RequestTimeouts } from './latency';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** `source.maxPageBytes` unless the spec says otherwise; specs written before the setting existed lack it. */
export const DEFAULT_MAX_PAGE_BYTES = 64 * 1024 * 1024;

/** The whole request took longer than `source.requestTimeoutMs` (a server dripping its body a byte at a time). */
export class RequestDeadlineError extends Error {
  override name = 'RequestDeadlineError';
}

/** The answer's headers, or the next part of its body, took longer than the source's latency says they should. */
export class RequestAbandonedError extends Error {
  override name = 'RequestAbandonedError';
}

/** The body grew past `source.maxPageBytes` (or announced it would): reading on would only fill memory. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

export interface RequestLimits {
  /** The whole exchange, from sending the request to the body's last byte. */
  deadlineMs: number;
  /** The setting the deadline comes from, for the message when it passes. */
  deadlineSetting: string;
  maxBytes: number;
  /** Time to the answer's headers, and the longest pause in its body (activities/latency.ts); the deadline otherwise. */
  timeouts?: RequestTimeouts;
  /** Aborts the request at once (the activity was cancelled, or its worker is shutting down). */
  signal?: AbortSignal;
}

export function limitsOf(source: SourceConfig): RequestLimits {
  return { deadlineMs: source.requestTimeoutMs, deadlineSetting: 'source.requestTimeoutMs', maxBytes: source.maxPageBytes ?? DEFAULT_MAX_PAGE_BYTES };
}

const agents = new Map<string, Agent>();

/** One keep-alive connection pool per timeout setting, shared by every fetch in the process. */
function agentFor(source: SourceConfig): Agent {
  const id = `${source.connectTimeoutMs}:${source.requestTimeoutMs}`;
  let agent = agents.get(id);
  if (agent === undefined) {
    agent = new Agent({
      connect: { timeout: source.connectTimeoutMs },
      headersTimeout: source.requestTimeoutMs,
      bodyTimeout: source.requestTimeoutMs,
    });
    agents.set(id, agent);
  }
  return agent;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function tooLarge(url: string, maxBytes: number, what: string): BodyTooLargeError {
  return new BodyTooLargeError(`GET ${new URL(url).pathname}: the body ${what} source.maxPageBytes (${maxBytes} bytes); lower the resource's pageSize or raise source.maxPageBytes`);
}

/**
 * GET a URL within limits. An abort (deadline, cancellation) or an oversized body destroys the request, which
 * closes its socket: a hostile or broken server holds neither a connection nor memory past the limits.
 */
export async function httpGet(url: string, source: SourceConfig, headers: Record<string, string>, limits: RequestLimits = limitsOf(source)): Promise<HttpAnswer> {
  const controller = new AbortController();
  const deadline = setTimeout(() => {
    controller.abort(new RequestDeadlineError(`no complete answer within ${limits.deadlineMs} ms (${limits.deadlineSetting})`));
  }, limits.deadlineMs);
  const cancel = (): void => controller.abort(limits.signal?.reason);
  if (limits.signal?.aborted) cancel();
  limits.signal?.addEventListener('abort', cancel, { once: true });
  const sent = performance.now();
  const timeouts = limits.timeouts;
  try {
    // undici follows no redirects unless asked: a redirect is an answer we classify, never a hop with our token.
    const response = await request(url, {
      method: 'GET',
      headers,
      dispatcher: agentFor(source),
      signal: controller.signal,
      ...(timeouts === undefined ? {} : { headersTimeout: timeouts.headersMs, bodyTimeout: timeouts.bodyMs }),
    });
    const headersAt = performance.now();
    const announced = Number(response.headers['content-length'] ?? NaN);
    if (announced > limits.maxBytes) {
      response.body.destroy();
      throw tooLarge(url, limits.maxBytes, `announces ${announced} bytes, more than`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      // Leaving the loop destroys the body, and with it the connection.
      if (size > limits.maxBytes) throw tooLarge(url, limits.maxBytes, 'passed');
      chunks.push(chunk);
    }
    if (response.statusCode >= 200 && response.statusCode < 300) latency.observe(new URL(url).origin, headersAt - sent, performance.now() - headersAt);
    return { status: response.statusCode, headers: flattenHeaders(response.headers), body: Buffer.concat(chunks, size) };
  } catch (error) {
    // undici reports any abort as its own generic error: the reason we aborted for says more.
    if (controller.signal.aborted && !(error instanceof BodyTooLargeError)) throw controller.signal.reason;
    const code = (error as { code?: string }).code;
    if (timeouts !== undefined && (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')) {
      const [part, ms] = code === 'UND_ERR_HEADERS_TIMEOUT' ? ['headers', timeouts.headersMs] : ['next part of the body', timeouts.bodyMs];
      throw new RequestAbandonedError(`abandoned: no ${part} within ${ms} ms (${timeouts.rule})`);
    }
    throw error;
  } finally {
    clearTimeout(deadline);
    limits.signal?.removeEventListener('abort', cancel);
  }
}
