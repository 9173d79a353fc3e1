import type { SinkConfig } from '../spec/export-spec';
import { DuckDbDriver } from './duckdb';
import { PostgresDriver } from './postgres';
import type { Sink } from './sink';
import { SqlSink } from './sql-sink';

/** The connection URL of a Postgres sink, read from the environment where the spec names a variable. */
export function postgresUrl(config: Extract<SinkConfig, { kind: 'postgres' }>, env: NodeJS.ProcessEnv = process.env): string {
  if (config.urlEnv !== undefined) {
    const url = env[config.urlEnv];
    if (url === undefined || url === '') throw new Error(`sink.urlEnv: environment variable ${config.urlEnv} is not set on this worker`);
    return url;
  }
  return config.url as string;
}

export async function openSink(config: SinkConfig): Promise<Sink> {
  if (config.kind === 'duckdb') return new SqlSink(await DuckDbDriver.open(config.path));
  return new SqlSink(await PostgresDriver.open(postgresUrl(config), config.schema));
}

/** Identifies a sink without its secrets, so one process keeps one connection per database. */
export function sinkIdentity(config: SinkConfig): string {
  return config.kind === 'duckdb' ? `duckdb:${config.path}` : `postgres:${config.urlEnv ?? config.url}:${config.schema}`;
}

/** Sinks opened once per worker process and shared by every activity. */
export class SinkPool {
  private readonly open = new Map<string, Promise<Sink>>();

  get(config: SinkConfig): Promise<Sink> {
    const id = sinkIdentity(config);
    let sink = this.open.get(id);
    if (sink === undefined) {
      sink = openSink(config);
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
