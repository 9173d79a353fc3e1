/**
 * What an HTTP answer means for the export, decided in one place: carry on, retry later, wait as the server
 * says, or stop with a message that tells the operator what to fix.
 */
export type ResponseVerdict =
  | { kind: 'ok' }
  | { kind: 'retry'; message: string }
  | { kind: 'throttled'; message: string; retryAfterMs?: number }
  | { kind: 'fatal'; type: 'AuthRejected' | 'NotFound' | 'BadRequest' | 'CursorExpired'; message: string };

export interface ResponseFacts {
  status: number;
  /** Lowercase header names. */
  headers: Record<string, string>;
  /** The start of the body, for the server's own error message. */
  bodyText: string;
  method: string;
  path: string;
  tokenEnv?: string;
  /** The request continued a traversal from a server-issued cursor (token, bookmark or next link). */
  carriesCursor?: boolean;
  /** Milliseconds since the epoch, to turn an HTTP-date Retry-After into a delay. */
  now: number;
}

export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A reset header: seconds from now (`RateLimit-Reset`), or, when it is that large, epoch seconds (`X-Rate-Limit-Reset`). */
export function resetMs(value: string | undefined, now: number): number | undefined {
  const seconds = value === undefined ? NaN : Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return seconds > 1_000_000_000 ? Math.max(0, seconds * 1000 - now) : seconds * 1000;
}

/** How long the server asked us to wait: Retry-After first, then the rate-limit reset headers. */
export function serverWaitMs(headers: Record<string, string>, now: number): number | undefined {
  return retryAfterMs(headers['retry-after'], now) ?? resetMs(headers['ratelimit-reset'], now) ?? resetMs(headers['x-rate-limit-reset'], now);
}

function serverMessage(bodyText: string): string {
  const text = bodyText.trim().slice(0, 300);
  try {
    const body = JSON.parse(text) as { errors?: Array<{ message?: string } | string>; message?: string; detail?: string };
    // Canvas: {"errors":[{"message"}]}; Ed-Fi problem+json: {"detail", "errors": ["…"]}; others: {"message"}.
    const errors = (body.errors ?? []).map((e) => (typeof e === 'string' ? e : e.message)).filter((m): m is string => !!m);
    if (body.detail !== undefined) return [body.detail, ...errors].join(' ');
    return errors[0] ?? body.message ?? text;
  } catch {
    return text;
  }
}

export function classifyResponse(facts: ResponseFacts): ResponseVerdict {
  const { status } = facts;
  const where = `${facts.method} ${facts.path}`;
  if (status >= 200 && status < 300) {
    // A proxy or maintenance page answering 200 with HTML where JSON was expected: the API is not really there.
    if (/text\/html/i.test(facts.headers['content-type'] ?? '') || /^\s*</.test(facts.bodyText)) {
      return { kind: 'retry', message: `${status} on ${where} with an HTML page where JSON was expected` };
    }
    return { kind: 'ok' };
  }
  const remaining = Number(facts.headers['x-rate-limit-remaining'] ?? NaN);
  if (status === 429 || (status === 403 && /rate limit exceeded/i.test(facts.bodyText)) || (status >= 400 && remaining <= 0)) {
    return { kind: 'throttled', message: `${status} throttled on ${where}`, retryAfterMs: serverWaitMs(facts.headers, facts.now) };
  }
  if (status === 401 || status === 403) {
    const token = facts.tokenEnv === undefined ? 'no token is configured: set source.auth.bearerTokenEnv' : `check the token in ${facts.tokenEnv}`;
    return { kind: 'fatal', type: 'AuthRejected', message: `${status} on ${where}: ${serverMessage(facts.bodyText)} (${token})` };
  }
  if ((status === 400 || status === 410 || status === 422) && facts.carriesCursor && /token|cursor|bookmark|expired/i.test(facts.bodyText)) {
    // The position the server gave us is no longer valid: the traversal can recover, the request cannot.
    return { kind: 'fatal', type: 'CursorExpired', message: `${status} on ${where}: the server rejected its own cursor: ${serverMessage(facts.bodyText)}` };
  }
  if (status === 404) return { kind: 'fatal', type: 'NotFound', message: `404 on ${where}: no such collection; check the resource path` };
  if (status === 408 || status >= 500) return { kind: 'retry', message: `${status} on ${where}: ${serverMessage(facts.bodyText)}` };
  return { kind: 'fatal', type: 'BadRequest', message: `${status} on ${where}: ${serverMessage(facts.bodyText)}` };
}
