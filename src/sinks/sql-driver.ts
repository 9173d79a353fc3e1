/** The little a SQL sink needs from a database client; DuckDB and PostgreSQL each implement it. */

export type SqlValue = string | number | null;
export type SqlRow = Record<string, unknown>;

export interface SqlExecutor {
  query(sql: string, params?: SqlValue[]): Promise<SqlRow[]>;
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
  /** Runs `work` in one transaction; DDL from concurrent callers is serialized. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
