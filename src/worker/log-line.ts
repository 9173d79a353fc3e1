import { inspect } from 'node:util';
import type { LogEntry } from '@temporalio/worker';
import type { LogFormat } from '../client/settings';

/**
 * One log entry of the worker as one line: a JSON object for a log collector, or the SDK's familiar text for a
 * person. Activity entries carry their run (`workflowId`, `workflowRunId`), `activityType`, `attempt`, and our
 * `spec`, `resource`, `sourceHost` and `page` (activities/activity-scope.ts); workflow entries their workflow.
 *
 * Nothing secret leaves: the SDK's `taskToken` (it completes an activity on its own) is dropped, attributes named
 * like credentials are redacted, and a bearer token or a credential query parameter in any text is masked. Record
 * values never reach a log line: our messages quote paths, counts and masked requests (shown-request.ts), and
 * server error text is scrubbed before it is kept (classify-response.ts).
 */

const DROPPED = new Set(['taskToken']);
const CREDENTIAL_NAME = /(token|secret|password|passwd|authorization|cookie|api_?key)$/i;
/** RFC 6750's token characters. */
const BEARER = /\b(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi;
const CREDENTIAL_PARAM = /([?&](?:access_?token|wstoken|token|api_?key|apikey|key|password|passwd|secret|client_?secret|signature|sig)=)[^&\s"']+/gi;

function maskedText(text: string): string {
  return text.replace(BEARER, '$1***').replace(CREDENTIAL_PARAM, '$1***');
}

/** An error as plain fields: JSON.stringify gives `{}` for one. */
function errorFields(error: Error): Record<string, unknown> {
  const { type, nonRetryable } = error as { type?: unknown; nonRetryable?: unknown };
  return {
    name: error.name,
    message: maskedText(error.message),
    ...(typeof type === 'string' ? { type } : {}),
    ...(typeof nonRetryable === 'boolean' ? { nonRetryable } : {}),
    ...(error.cause instanceof Error ? { cause: errorFields(error.cause) } : {}),
    ...(error.stack === undefined ? {} : { stack: maskedText(error.stack) }),
  };
}

function safeValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskedText(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return errorFields(value);
  if (value === null || typeof value !== 'object' || depth > 4) return value;
  if (Array.isArray(value)) return value.map((item) => safeValue(item, depth + 1));
  return safeAttributes(value as Record<string, unknown>, depth + 1);
}

function safeAttributes(meta: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const safe: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(meta)) {
    if (DROPPED.has(name) || value === undefined) continue;
    safe[name] = CREDENTIAL_NAME.test(name) ? '[redacted]' : safeValue(value, depth);
  }
  return safe;
}

export function logLine(entry: LogEntry, format: LogFormat): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const attributes = safeAttributes(entry.meta ?? {});
  const message = maskedText(entry.message);
  if (format === 'json') {
    const line: Record<string, unknown> = { time, level: entry.level.toLowerCase(), message };
    // The line's own fields win over attributes of the same name.
    for (const [name, value] of Object.entries(attributes)) if (!(name in line)) line[name] = value;
    return JSON.stringify(line);
  }
  const shown = Object.keys(attributes).length === 0 ? '' : ` ${inspect(attributes, { breakLength: Infinity, depth: 4 })}`;
  return `${time} [${entry.level}] ${message}${shown}`;
}
