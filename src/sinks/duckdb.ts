import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent, type SqlDriver, type SqlExecutor, type SqlRow, type SqlValue } from './sql-driver';

/**
 * The embedded default sink. DuckDB allows one writer process per file and one transaction per connection,
 * so every statement goes through a single connection and transactions are queued behind each other.
 */
export class DuckDbDriver implements SqlDriver {
  readonly dialect = 'duckdb' as const;
  readonly jsonType = 'VARCHAR';
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(path: string): Promise<DuckDbDriver> {
    const file = resolve(path);
    mkdirSync(dirname(file), { recursive: true });
    const instance = await DuckDBInstance.create(file);
    return new DuckDbDriver(instance, await instance.connect());
  }

  table(name: string): string {
    return quoteIdent(name);
  }

  jsonText(column: string, path: string): string {
    return `json_extract_string(${column}, '$.${path}')`;
  }

  jsonParam(placeholder: string): string {
    return placeholder;
  }

  query(sql: string, params: SqlValue[] = []): Promise<SqlRow[]> {
    return this.exclusive(() => this.run(sql, params));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      await this.run('BEGIN TRANSACTION');
      try {
        const result = await work({ query: (sql, params = []) => this.run(sql, params) });
        await this.run('COMMIT');
        return result;
      } catch (error) {
        await this.run('ROLLBACK');
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async run(sql: string, params: SqlValue[] = []): Promise<SqlRow[]> {
    const reader = await this.connection.runAndReadAll(sql, params);
    return reader.getRowObjectsJS() as SqlRow[];
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
