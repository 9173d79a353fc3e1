/** The little a SQL sink needs from a database client; DuckDB and PostgreSQL each implement it. */

export type SqlValue = string | number | null;
export type SqlRow = Record<string, unknown>;

export interface SqlExecutor {
  query(sql: string, params?: SqlValue[]): Promise<SqlRow[]>;
}

/** The executor of one transaction, with the database's bulk path for loading many rows at once. */
export interface SqlTransaction extends SqlExecutor {
  /**
   * Loads text rows into this connection's temporary table `name` (created on first use, every column text)
   * by the database's bulk path, PostgreSQL's COPY or DuckDB's appender, instead of one bound parameter per
   * value. Each call replaces what the table held, and only this connection sees it; returns its
   * qualified name for the statements that read it.
   */
  loadScratch(name: string, columns: string[], rows: string[][]): Promise<string>;
}

export interface SqlDriver extends SqlExecutor {
  dialect: 'duckdb' | 'postgres';
  /** Fully qualified, quoted table name for a sink table. */
  table(name: string): string;
  /** Column type for a record's JSON. */
  jsonType: string;
  /** How a JSON text parameter is written into the JSON column. */
  jsonParam(placeholder: string): string;
  /** A record field (dotted path, already validated) as text: e.g. `_record ->> 'updated_at'`. */
  jsonText(column: string, path: string): string;
  /** Whether the sink holds a table (or view) of this name. */
  tableExists(name: string): Promise<boolean>;
  /** Whether the sink's table `table` has a column `column`, as `executor` sees it (in a transaction: with its own DDL). */
  hasColumn(executor: SqlExecutor, table: string, column: string): Promise<boolean>;
  /** Runs `work` in one transaction; DDL from concurrent callers is serialized. */
  transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /**
   * One statement that need not wait for other callers' transactions: a page's staging and the loop guard's
   * read, while the page before it is persisted. It sees committed rows only, as every PostgreSQL statement
   * does: the loop guard may find the audit row of the page being persisted one page later. Only for
   * statements that write rows no open transaction writes (another page's staging row).
   */
  queryBeside(sql: string, params?: SqlValue[]): Promise<SqlRow[]>;
  close(): Promise<void>;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
