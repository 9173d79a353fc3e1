import { DuckDBInstance } from '@duckdb/node-api';

/**
 * SQL on a DuckDB database file, or on files DuckDB reads (Parquet, CSV) from an in-memory one, opened and closed by
 * the test process. Counts and BIGINT ids come back as bigint; rows hold plain numbers for the assertions.
 */
export async function duckQuery(sql: string, database = ':memory:'): Promise<Array<Record<string, unknown>>> {
  const instance = await DuckDBInstance.create(database);
  const connection = await instance.connect();
  try {
    const rows = (await connection.runAndReadAll(sql)).getRowObjectsJS();
    return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
