import { scrubbed } from '../privacy/server-text';
import { FailureType } from '../failures';

/**
 * What an HTTP answer means for the export, decided in one place: carry on, retry later, wait as the server
 * says, or stop with a message that tells the operator what to fix.
 */
export type ResponseVerdict =
  | { kind: 'ok' }
  | { kind: 'retry'; message: string }
  | { kind: 'throttled'; message: string; retryAfterMs?: number }
  | { kind: 'fatal'; type: FatalAnswer; message: string };

/** The answers a retry cannot fix, as failure types (failures.ts). */
export type FatalAnswer = typeof FailureType.Unauthorized | typeof FailureType.Forbidden | typeof FailureType.NotFound | typeof FailureType.BadRequest | typeof FailureType.CursorExpired | typeof FailureType.ServerWaitTooLong;

export interface ResponseFacts {
  status: number;
  /** Lowercase header names. */
  headers: Record<string, string>;
  /** The start of the body, for the server's own error message. */
  bodyText: string;
  method: string;
  /** The request's path and query as messages show it (activities/shown-request.ts). */
  path: string;
  tokenEnv?: string;
  /** The request continued a traversal from a server-issued cursor (token, bookmark or next link). */
  carriesCursor?: boolean;
  /** Milliseconds since the epoch, to turn an HTTP-date Retry-After into a delay. */
  now: number;
  /** The longest server-directed wait obeyed (`source.maxServerWaitSeconds`); a longer one fails the request. */
  maxServerWaitMs?: number;
}

/** Server-directed waits obeyed unless the spec says otherwise (15 minutes, `source.maxServerWaitSeconds`). */
export const DEFAULT_MAX_SERVER_WAIT_MS = 900_000;

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

/** A wait the server asked for, and the header that asked (its name as sent in lowercase, and its value). */
export interface ServerWait {
  ms: number;
  header: string;
  value: string;
}

/** How long the server asked us to wait: Retry-After first, then the rate-limit reset headers. */
export function serverWait(headers: Record<string, string>, now: number): ServerWait | undefined {
  const readers: Array<[string, (value: string | undefined, now: number) => number | undefined]> = [
    ['retry-after', retryAfterMs],
    ['ratelimit-reset', resetMs],
    ['x-rate-limit-reset', resetMs],
  ];
  for (const [header, read] of readers) {
    const ms = read(headers[header], now);
    if (ms !== undefined) return { ms, header, value: headers[header] as string };
  }
  return undefined;
}

export function serverWaitMs(headers: Record<string, string>, now: number): number | undefined {
  return serverWait(headers, now)?.ms;
}

function describeWait(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3_600)} h`;
  if (seconds < 63_072_000) return `${Math.round(seconds / 86_400)} days`;
  return `${Math.round(seconds / 31_557_600)} years`;
}

/** A header's name as servers spell it, for messages (`Retry-After`, `X-Rate-Limit-Reset`). */
function headerName(lowercase: string): string {
  return lowercase.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());
}

// A server's error text enters a failure message only scrubbed (privacy/server-text.ts); get-json.ts uses it too.
export { scrubbed };

function serverMessage(bodyText: string): string {
  const text = bodyText.trim();
  try {
    const body = JSON.parse(text) as { errors?: Array<{ message?: string } | string>; message?: string; detail?: string; error?: unknown; error_description?: string };
    // Canvas: {"errors":[{"message"}]}; Ed-Fi problem+json: {"detail", "errors": ["…"]}; others: {"message"}.
    const errors = (body.errors ?? []).map((e) => (typeof e === 'string' ? e : e.message)).filter((m): m is string => !!m);
    if (body.detail !== undefined) return scrubbed([body.detail, ...errors].join(' '));
    // OAuth-style bodies: {"error", "error_description"}.
    const oauth = typeof body.error === 'string' ? [body.error, body.error_description].filter((m): m is string => !!m).join(': ') : undefined;
    return scrubbed(errors[0] ?? body.message ?? oauth ?? text);
  } catch {
    return scrubbed(text);
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
    const wait = serverWait(facts.headers, facts.now);
    const longest = facts.maxServerWaitMs ?? DEFAULT_MAX_SERVER_WAIT_MS;
    if (wait !== undefined && wait.ms > longest) {
      // Obeying would park the page for that long with nothing to show for it: fail it, naming what the server said.
      return {
        kind: 'fatal',
        type: FailureType.ServerWaitTooLong,
        message:
          `${status} throttled on ${where} with ${headerName(wait.header)}: ${wait.value}, a wait of ${describeWait(wait.ms)}, beyond ` +
          `source.maxServerWaitSeconds (${Math.round(longest / 1000)} s); raise that setting if the source really means it, or export later`,
      };
    }
    return { kind: 'throttled', message: `${status} throttled on ${where}`, retryAfterMs: wait?.ms };
  }
  if (status === 401 || status === 403) {
    const token = facts.tokenEnv === undefined ? 'no token is configured: set source.auth.bearerTokenEnv' : `check the token in ${facts.tokenEnv}`;
    return { kind: 'fatal', type: status === 401 ? FailureType.Unauthorized : FailureType.Forbidden, message: `${status} on ${where}: ${serverMessage(facts.bodyText)} (${token})` };
  }
  if ((status === 400 || status === 410 || status === 422) && facts.carriesCursor && /token|cursor|bookmark|expired/i.test(facts.bodyText)) {
    // The position the server gave us is no longer valid: the traversal can recover, the request cannot.
    return { kind: 'fatal', type: FailureType.CursorExpired, message: `${status} on ${where}: the server rejected its own cursor: ${serverMessage(facts.bodyText)}` };
  }
  if (status === 404) return { kind: 'fatal', type: FailureType.NotFound, message: `404 on ${where}: no such collection; check the resource path` };
  if (status === 408 || status >= 500) return { kind: 'retry', message: `${status} on ${where}: ${serverMessage(facts.bodyText)}` };
  return { kind: 'fatal', type: FailureType.BadRequest, message: `${status} on ${where}: ${serverMessage(facts.bodyText)}` };
}
