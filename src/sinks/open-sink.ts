import type { SinkConfig } from '../spec/export-spec';
import { atAfterAuthority } from '../spec/secrets';
import type { DuckDbOptions } from './duckdb';
import type { Sink } from './sink';
import type { SqlDriver } from './sql-driver';
import { sinkMisconfigured } from './sink-errors';
import { SqlSink } from './sql-sink';

/** The connection URL of a Postgres sink, read from the environment where the spec names a variable. */
export function postgresUrl(config: Extract<SinkConfig, { kind: 'postgres' }>, env: NodeJS.ProcessEnv = process.env): string {
  if (config.urlEnv !== undefined) {
    const url = env[config.urlEnv];
    // Non-retryable: a worker's environment does not change while it runs.
    if (url === undefined || url === '') throw sinkMisconfigured(`sink.urlEnv: environment variable ${config.urlEnv} is not set on this worker: set it to the sink's connection URL and restart the worker`);
    // The client would say only "Invalid URL" (or try a host named after the user): name the variable, never its value.
    if (!URL.canParse(url) || atAfterAuthority(url)) {
      throw sinkMisconfigured(`sink.urlEnv: environment variable ${config.urlEnv} holds a URL no client can read as meant: percent-encode /, ?, # and @ in its password (%2F, %3F, %23, %40) and restart the worker`);
    }
    return url;
  }
  return config.url as string;
}

/** A worker lets go of an idle DuckDB file after this long, so the CLI can read it while the worker runs. */
export const DEFAULT_DUCKDB_IDLE_RELEASE_MS = 3_000;
/** How long a worker's activity waits for a CLI command to let go of a DuckDB file before failing (and retrying). */
const WORKER_BUSY_WAIT_MS = 5_000;

/** How long a CLI command waits for a DuckDB file a worker holds: longer than an idle worker keeps it. */
export function readerBusyWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  return duckDbIdleReleaseMs(env) + 2_000;
}

/** LMS_EXPORT_DUCKDB_IDLE_RELEASE_MS, or the default. */
export function duckDbIdleReleaseMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env['LMS_EXPORT_DUCKDB_IDLE_RELEASE_MS'];
  if (text === undefined || text === '') return DEFAULT_DUCKDB_IDLE_RELEASE_MS;
  const ms = Number(text);
  if (!(Number.isInteger(ms) && ms >= 0)) throw new Error(`LMS_EXPORT_DUCKDB_IDLE_RELEASE_MS must be a whole number of milliseconds ≥ 0, got "${text}"`);
  return ms;
}

/** DuckDB only: how a process shares the file with others (PostgreSQL serves many clients and needs neither). */
export type OpenSinkOptions = DuckDbOptions;

export async function openSink(config: SinkConfig, options: OpenSinkOptions = {}): Promise<Sink> {
  return new SqlSink(await openDriver(config, options));
}

/**
 * The SQL driver of a sink. Each driver's package is loaded when a sink of its kind is first opened, so a CLI verb
 * that opens none (status, pause, watch) loads neither DuckDB nor pg.
 */
export async function openDriver(config: SinkConfig, options: OpenSinkOptions = {}): Promise<SqlDriver> {
  if (config.kind === 'duckdb') {
    const { DuckDbDriver } = require('./duckdb') as typeof import('./duckdb');
    return DuckDbDriver.open(config.path, options);
  }
  const { PostgresDriver } = require('./postgres') as typeof import('./postgres');
  return PostgresDriver.open(postgresUrl(config), config.schema, postgresUrlField(config));
}

/** How the spec names a Postgres sink's connection, for messages (never the URL itself: it may hold a password). */
export function postgresUrlField(config: Extract<SinkConfig, { kind: 'postgres' }>): string {
  return config.urlEnv !== undefined ? `sink.urlEnv (${config.urlEnv})` : 'sink.url';
}

/** Identifies a sink without its secrets, so one process keeps one connection per database. */
export function sinkIdentity(config: SinkConfig): string {
  return config.kind === 'duckdb' ? `duckdb:${config.path}` : `postgres:${config.urlEnv ?? config.url}:${config.schema}`;
}

/**
 * Sinks opened once per worker process and shared by every activity. A DuckDB sink's file is let go when idle
 * (`idleReleaseMs`) and opened again by the next statement, so the same sink object serves every activity.
 */
export class SinkPool {
  private readonly open = new Map<string, Promise<Sink>>();
  private readonly duckDb: DuckDbOptions;

  constructor(options: { duckDbIdleReleaseMs?: number } = {}) {
    this.duckDb = { idleReleaseMs: options.duckDbIdleReleaseMs ?? duckDbIdleReleaseMs(), busyWaitMs: WORKER_BUSY_WAIT_MS };
  }

  get(config: SinkConfig): Promise<Sink> {
    const id = sinkIdentity(config);
    let sink = this.open.get(id);
    if (sink === undefined) {
      sink = openSink(config, this.duckDb);
      sink.catch(() => this.open.delete(id));
      this.open.set(id, sink);
    }
    return sink;
  }

  async close(): Promise<void> {
    const sinks = [...this.open.values()];
    this.open.clear();
    await Promise.all(sinks.map(async (s) => (await s.catch(() => undefined))?.close()));
  }
}
