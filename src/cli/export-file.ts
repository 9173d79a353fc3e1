import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Sink } from '../sinks/sink';
import type { ReadRowsOptions } from '../sinks/stored-rows';
import { consumerLine } from './consumer-record';

export const EXPORT_FORMATS = ['parquet', 'jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Rows read from the sink per query: the file is written as they arrive, never held whole in memory. */
const ROWS_PER_BATCH = 5_000;

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Streams a resource's stored records, in key order, into a JSON Lines file; returns how many. */
async function writeJsonLines(sink: Sink, resource: string, path: string, options: ReadRowsOptions): Promise<number> {
  const out = createWriteStream(path);
  let rows = 0;
  try {
    for (let after: string | null = null; ; ) {
      const batch = await sink.readRowsAfter(resource, after, ROWS_PER_BATCH, options);
      for (const row of batch) {
        if (!out.write(`${consumerLine(row)}\n`)) await once(out, 'drain');
      }
      rows += batch.length;
      const last = batch[batch.length - 1];
      if (last === undefined || batch.length < ROWS_PER_BATCH) break;
      after = last.key;
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return rows;
}

/** The run columns keep one type whatever the records hold (all null `_deleted_at` would otherwise have none). */
const RUN_COLUMNS = 'REPLACE (CAST(_first_run AS VARCHAR) AS _first_run, CAST(_last_run AS VARCHAR) AS _last_run, CAST(_deleted_at AS TIMESTAMP) AS _deleted_at)';

/**
 * Writes a resource's stored records to a file for people and tools outside the warehouse: JSON Lines (each
 * record as stored, plus `_first_run`, `_last_run`, `_deleted_at`: see consumer-record.ts), or Parquet and CSV
 * through DuckDB's COPY, which infers columns from every record (fields that drifted across types get a common
 * one). Reading the sink is keyset-paged, so memory stays flat for PostgreSQL and DuckDB sinks alike.
 */
export async function exportFile(
  sink: Sink,
  resource: string,
  format: ExportFormat,
  outPath: string,
  options: ReadRowsOptions = {},
): Promise<{ rows: number; path: string }> {
  const path = resolve(outPath);
  if (format === 'jsonl') return { rows: await writeJsonLines(sink, resource, path, options), path };
  const work = mkdtempSync(join(tmpdir(), 'lms-export-file-'));
  try {
    const lines = join(work, `${resource}.jsonl`);
    const rows = await writeJsonLines(sink, resource, lines, options);
    // Loaded here, not with the CLI: only this verb needs DuckDB in the CLI process.
    const { DuckDBInstance } = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      // An empty resource still gets a file (with no columns DuckDB cannot infer any): one key-less column.
      const source = rows === 0 ? 'SELECT CAST(NULL AS VARCHAR) AS _empty WHERE false' : `SELECT * ${RUN_COLUMNS} FROM read_json(${sqlString(lines)}, format = 'newline_delimited', sample_size = -1)`;
      const copyOptions = format === 'parquet' ? 'FORMAT PARQUET' : 'FORMAT CSV, HEADER true';
      await connection.run(`COPY (${source}) TO ${sqlString(path)} (${copyOptions})`);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    return { rows, path };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
