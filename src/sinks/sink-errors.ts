import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../failures';

/**
 * How a sink's failures reach Temporal. A misconfigured sink (a directory where a DuckDB file belongs, a
 * database that does not exist, a role without rights) never heals by retrying: it fails at once, naming the
 * spec field. A sink that is down (refused connections, a server starting up) is retried, under a type of its
 * own so the circuit breaker does not blame the source for it.
 */
export const SINK_MISCONFIGURED = FailureType.SinkMisconfigured;
export const SINK_UNAVAILABLE = 'SinkUnavailable';

export function sinkMisconfigured(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, SINK_MISCONFIGURED);
}

export function sinkUnavailable(detail: string): ApplicationFailure {
  return ApplicationFailure.retryable(`sink unavailable: ${detail}; retrying`, SINK_UNAVAILABLE);
}

/** Socket errors meaning "nobody answers now", not "wrong address forever". */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN']);
/** PostgreSQL: shutting down, starting up, too many clients, connection exceptions (class 08). */
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300']);

/** Where a Postgres sink's connection comes from, as the spec names it: what messages point at. */
export interface PostgresSinkFields {
  /** `sink.url` or `sink.urlEnv (NAME)`. */
  url: string;
  schema: string;
}

/** A PostgreSQL error as the operator should see it; errors of the data or the statement pass through unchanged. */
export function classifyPostgresError(error: unknown, fields: PostgresSinkFields): unknown {
  if (error instanceof ApplicationFailure) return error;
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  if (UNREACHABLE.has(code) || PG_UNAVAILABLE.has(code) || code.startsWith('08') || /Connection terminated|timeout expired/i.test(message)) {
    return sinkUnavailable(message);
  }
  if (code === '3D000') return sinkMisconfigured(`${fields.url}: ${message}: create the database or point ${fields.url} at one that exists`);
  if (code === '28P01' || code === '28000') return sinkMisconfigured(`${fields.url}: ${message}: fix the user or password in the connection URL`);
  if (code === '42501') return sinkMisconfigured(`${fields.url}: ${message}: grant the sink's role CREATE and USAGE on schema "${fields.schema}", or use another sink.schema`);
  if (code === '42939' || code === '42602') return sinkMisconfigured(`sink.schema: cannot use "${fields.schema}": ${message}`);
  if (code === 'ENOTFOUND') return sinkMisconfigured(`${fields.url}: ${message}: the host name does not resolve`);
  return error;
}

/** A DuckDB file that cannot be opened for a reason no retry fixes. */
export function classifyDuckDbOpenError(error: unknown, path: string): unknown {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (/Is a directory/i.test(message) || code === 'EISDIR') return sinkMisconfigured(`sink.path: ${path} is a directory, not a DuckDB file: name a file in it, e.g. ${path.replace(/\/+$/, '')}/export.duckdb`);
  if (/not a valid DuckDB database file/i.test(message)) return sinkMisconfigured(`sink.path: ${path} exists but is not a DuckDB database file: name a new file or a DuckDB one`);
  if (/Permission denied/i.test(message) || code === 'EACCES' || code === 'EPERM') return sinkMisconfigured(`sink.path: ${path}: permission denied: let the worker's user read and write it, or name another path`);
  // mkdir of the file's folder finds a file of that name.
  if (code === 'EEXIST') return sinkMisconfigured(`sink.path: ${path}: its folder is a file on this worker: name a path in a folder`);
  if (code === 'ENOTDIR' || code === 'EROFS') return sinkMisconfigured(`sink.path: ${path}: ${message}`);
  if (/No such file or directory/i.test(message) || code === 'ENOENT') return sinkMisconfigured(`sink.path: ${path}: this worker cannot create the file (${message}): create its folder, or name a path the worker can write`);
  if (/Read-only file system/i.test(message)) return sinkMisconfigured(`sink.path: ${path}: the file system is read-only on this worker: name a path the worker can write`);
  return error;
}
