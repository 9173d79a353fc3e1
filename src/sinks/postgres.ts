import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyText } from './copy-text';
import { forgetCreatedTables, isMissingTable, once } from './once';
import { classifyPostgresError, type PostgresSinkFields } from './sink-errors';
import { quoteIdent, type SqlDriver, type SqlExecutor, type SqlRow, type SqlTransaction, type SqlValue } from './sql-driver';

/** Advisory lock id that serializes our DDL, so two activities never race on CREATE TABLE IF NOT EXISTS. */
const DDL_LOCK = 7_310_042;

export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly jsonType = 'JSONB';

  /** Per pooled connection, the temporary tables it has made (they live as long as the connection). */
  private readonly scratchTables = new WeakMap<pg.PoolClient, Set<string>>();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly fields: PostgresSinkFields,
  ) {}

  /** `urlField` is how the spec names the connection (`sink.url`, `sink.urlEnv (NAME)`), for error messages. */
  static async open(url: string, schema = 'public', urlField = 'sink.url'): Promise<PostgresDriver> {
    const pool = new pg.Pool({ connectionString: url, max: 8 });
    pool.on('error', () => undefined); // an idle client's lost connection is replaced on next use
    const driver = new PostgresDriver(pool, schema, { url: urlField, schema });
    await driver.ensureSchema();
    return driver;
  }

  /** The schema is created with the first table, and again after a drop (the created tables are forgotten then). */
  private readonly ensureSchema = once(async (): Promise<void> => {
    await this.pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`).catch((error: unknown) => {
      throw this.classified(error);
    });
  });

  /** A vanished table makes every memo of created tables forget (the next use creates it again); sink failures get their class. */
  private classified(error: unknown): unknown {
    if (isMissingTable(error)) {
      forgetCreatedTables();
      return error;
    }
    return classifyPostgresError(error, this.fields);
  }

  table(name: string): string {
    return `${quoteIdent(this.schema)}.${quoteIdent(name)}`;
  }

  jsonText(column: string, path: string): string {
    return `(${column} #>> '{${path.split('.').join(',')}}')`;
  }

  jsonParam(placeholder: string): string {
    return `${placeholder}::jsonb`;
  }

  async tableExists(name: string): Promise<boolean> {
    const rows = await this.query('SELECT 1 AS found FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [this.schema, name]);
    return rows.length > 0;
  }

  async hasColumn(executor: SqlExecutor, table: string, column: string): Promise<boolean> {
    const rows = await executor.query(
      'SELECT 1 AS found FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3',
      [this.schema, table, column],
    );
    return rows.length > 0;
  }

  /** Every statement takes a connection of its own from the pool: nothing waits for other transactions anyway. */
  queryBeside(sql: string, params: SqlValue[] = []): Promise<SqlRow[]> {
    return this.query(sql, params);
  }

  async query(sql: string, params: SqlValue[] = []): Promise<SqlRow[]> {
    try {
      const result = await this.pool.query(sql, params);
      return result.rows as SqlRow[];
    } catch (error) {
      throw this.classified(error);
    }
  }

  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((error: unknown) => {
      throw this.classified(error);
    });
    // A connection lost mid-transaction fails the statement in flight; the client's own 'error' event must not
    // crash the worker (the pool listens only to idle clients), and the broken client is dropped, not reused.
    let lost: Error | undefined;
    const onLost = (error: Error): void => void (lost = error);
    client.on('error', onLost);
    const loadedHere = new Set<string>();
    try {
      await client.query('BEGIN');
      const result = await work({
        query: async (sql, params = []) => {
          if (/^\s*CREATE\s/i.test(sql)) {
            await this.ensureSchema();
            await client.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK]);
          }
          return (await client.query(sql, params)).rows as SqlRow[];
        },
        loadScratch: (name, columns, rows) => this.loadScratch(client, loadedHere, name, columns, rows),
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      // A temporary table created in this transaction went with it.
      this.scratchTables.delete(client);
      throw this.classified(error);
    } finally {
      client.off('error', onLost);
      client.release(lost);
    }
  }

  /** COPY into a temporary table that empties itself at each commit and rollback (and between loads of one transaction). */
  private async loadScratch(client: pg.PoolClient, loadedHere: Set<string>, name: string, columns: string[], rows: string[][]): Promise<string> {
    const table = `pg_temp.${quoteIdent(name)}`;
    const made = this.scratchTables.get(client) ?? new Set<string>();
    this.scratchTables.set(client, made);
    if (!made.has(name)) {
      await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${quoteIdent(name)} (${columns.map((c) => `${quoteIdent(c)} TEXT`).join(', ')}) ON COMMIT DELETE ROWS`);
      made.add(name);
    }
    if (loadedHere.has(name)) await client.query(`DELETE FROM ${table}`);
    loadedHere.add(name);
    // Encoded before the COPY starts: a value it refuses must not leave the connection stuck mid-copy.
    const text = copyText(rows);
    const copy = client.query(copyFrom(`COPY ${table} (${columns.map(quoteIdent).join(', ')}) FROM STDIN`));
    await pipeline(Readable.from([text]), copy);
    return table;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
