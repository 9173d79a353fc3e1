import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { forgetCreatedTables, isMissingTable } from './once';
import { lockHolderOf, SinkBusyError } from './sink-busy';
import { duckDbFile } from './duckdb-path';
import { classifyDuckDbOpenError } from './sink-errors';
import { quoteIdent, type SqlDriver, type SqlExecutor, type SqlRow, type SqlTransaction, type SqlValue } from './sql-driver';

export interface DuckDbOptions {
  /**
   * Close the file once no statement has used it for this long, so another process (the CLI) may open it;
   * the next statement opens it again. Unset: hold it until `close()`.
   */
  idleReleaseMs?: number;
  /** How long opening waits for another process to let go of the file before it fails with SinkBusyError. */
  busyWaitMs?: number;
}

const BUSY_POLL_MS = 200;

/** The two connections' queues: `main` for transactions and most statements, `beside` for `queryBeside`. */
type Lane = 'main' | 'beside';

interface OpenFile {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  /** A second connection of the same instance, for `queryBeside`: opened on first use. */
  beside?: DuckDBConnection;
}

/**
 * The embedded default sink. DuckDB allows one process per file and one transaction per connection, so every
 * statement goes through a single connection and transactions are queued behind each other. The queue is also
 * the lease: the file is released only by a job of its own, after every statement queued before it finished,
 * and never while a transaction is open. `queryBeside` statements (the next page's staging while a page is
 * persisted) run on a second connection with a queue of their own, so they do not wait for that transaction;
 * they count as pending as well, so the file is never released under them.
 */
export class DuckDbDriver implements SqlDriver {
  readonly dialect = 'duckdb' as const;
  readonly jsonType = 'VARCHAR';
  /** The tail of each lane's queue. */
  private readonly queues: Record<Lane, Promise<unknown>> = { main: Promise.resolve(), beside: Promise.resolve() };
  private file: OpenFile | undefined;
  /** Statements queued or running. */
  private pending = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Per connection, the temporary tables it has made (they live as long as the connection). */
  private readonly scratchTables = new WeakMap<DuckDBConnection, Set<string>>();

  private constructor(
    /** As the spec names it: what messages say. */
    private readonly path: string,
    private readonly options: DuckDbOptions,
  ) {}

  static async open(path: string, options: DuckDbOptions = {}): Promise<DuckDbDriver> {
    const driver = new DuckDbDriver(path, options);
    await driver.query('SELECT 1');
    return driver;
  }

  /** Whether the file is open in this process now (it is released when idle). */
  get holdsFile(): boolean {
    return this.file !== undefined;
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

  async tableExists(name: string): Promise<boolean> {
    const rows = await this.query(
      `SELECT 1 AS found FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`,
      [name],
    );
    return rows.length > 0;
  }

  async hasColumn(executor: SqlExecutor, table: string, column: string): Promise<boolean> {
    const rows = await executor.query(
      `SELECT 1 AS found FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`,
      [table, column],
    );
    return rows.length > 0;
  }

  query(sql: string, params: SqlValue[] = []): Promise<SqlRow[]> {
    return this.exclusive((connection) => run(connection, sql, params)).catch(forgettingMissingTables);
  }

  queryBeside(sql: string, params: SqlValue[] = []): Promise<SqlRow[]> {
    // Opening the file is the main queue's job: until it is open, the statement simply queues there.
    const file = this.file;
    if (file === undefined || this.closed) return this.query(sql, params);
    return this.enqueue('beside', async () => {
      file.beside ??= await file.instance.connect();
      return run(file.beside, sql, params);
    }).catch(forgettingMissingTables);
  }

  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.exclusive(async (connection) => {
      await run(connection, 'BEGIN TRANSACTION');
      try {
        const result = await work({
          query: (sql, params = []) => run(connection, sql, params),
          loadScratch: (name, columns, rows) => this.loadScratch(connection, name, columns, rows),
        });
        await run(connection, 'COMMIT');
        return result;
      } catch (error) {
        await run(connection, 'ROLLBACK');
        // A temporary table created in this transaction went with it.
        this.scratchTables.delete(connection);
        throw error;
      }
    }).catch(forgettingMissingTables);
  }

  /** The appender writes into the open transaction: a rollback takes the rows back with everything else. */
  private async loadScratch(connection: DuckDBConnection, name: string, columns: string[], rows: string[][]): Promise<string> {
    const table = `temp.main.${quoteIdent(name)}`;
    const made = this.scratchTables.get(connection) ?? new Set<string>();
    this.scratchTables.set(connection, made);
    if (!made.has(name)) {
      await run(connection, `CREATE TEMP TABLE IF NOT EXISTS ${quoteIdent(name)} (${columns.map((c) => `${quoteIdent(c)} VARCHAR`).join(', ')})`);
      made.add(name);
    }
    await run(connection, `DELETE FROM ${table}`);
    const appender = await connection.createAppender(name, 'main', 'temp');
    try {
      for (const row of rows) {
        for (const value of row) appender.appendVarchar(value);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    return table;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    await Promise.all(Object.values(this.queues)).catch(() => undefined);
    this.releaseFile();
  }

  private exclusive<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`sink ${this.path} is closed`));
    return this.enqueue('main', async () => work(await this.connection()));
  }

  /** Runs `job` after everything queued on `lane` before it; pending until it settles, so the file stays open. */
  private enqueue<T>(lane: Lane, job: () => Promise<T>): Promise<T> {
    this.pending += 1;
    clearTimeout(this.idleTimer);
    const next = this.queues[lane].then(job, job);
    this.queues[lane] = next.then(
      () => this.settled(),
      () => this.settled(),
    );
    return next;
  }

  private settled(): void {
    this.pending -= 1;
    const idleMs = this.options.idleReleaseMs;
    if (this.pending > 0 || idleMs === undefined || this.closed) return;
    this.idleTimer = setTimeout(() => {
      // Queued behind anything that arrived meanwhile; a statement after it opens the file again.
      this.queues.main = this.queues.main.then(() => {
        if (this.pending === 0) this.releaseFile();
      });
    }, idleMs);
    this.idleTimer.unref();
  }

  private releaseFile(): void {
    const file = this.file;
    this.file = undefined;
    file?.beside?.closeSync();
    file?.connection.closeSync();
    file?.instance.closeSync();
  }

  private async connection(): Promise<DuckDBConnection> {
    if (this.file !== undefined) return this.file.connection;
    const fullPath = duckDbFile(this.path);
    try {
      mkdirSync(dirname(fullPath), { recursive: true });
      if (statSync(fullPath, { throwIfNoEntry: false })?.isDirectory()) throw Object.assign(new Error('Is a directory'), { code: 'EISDIR' });
    } catch (error) {
      throw classifyDuckDbOpenError(error, this.path);
    }
    const deadline = Date.now() + (this.options.busyWaitMs ?? 0);
    for (;;) {
      try {
        const instance = await DuckDBInstance.create(fullPath);
        try {
          this.file = { instance, connection: await instance.connect() };
        } catch (error) {
          instance.closeSync();
          throw error;
        }
        return this.file.connection;
      } catch (error) {
        const holder = lockHolderOf(error);
        if (holder === undefined) throw classifyDuckDbOpenError(error, this.path);
        if (Date.now() >= deadline) throw new SinkBusyError(this.path, holder.pid);
        await sleep(BUSY_POLL_MS);
      }
    }
  }
}

/** A table we created is gone (the file replaced under us): the next use creates it again. */
function forgettingMissingTables(error: unknown): never {
  if (isMissingTable(error)) forgetCreatedTables();
  throw error;
}

async function run(connection: DuckDBConnection, sql: string, params: SqlValue[] = []): Promise<SqlRow[]> {
  const reader = await connection.runAndReadAll(sql, params);
  return reader.getRowObjectsJS();
}
