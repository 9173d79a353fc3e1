import type { KeyedRow } from './page-rows';
import { quoteIdent, type SqlDriver, type SqlTransaction } from './sql-driver';

export interface MergeCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface MergeTarget {
  table: string;
  primaryKey: string[];
  runId: string;
  /** The page the rows came from: what `_page_sha256` records. */
  pageSha256: string;
}

/** The scratch table of a page's rows: one per key width, since its columns follow the primary key's. */
function scratchOf(primaryKey: string[]): { name: string; keyColumns: string[] } {
  const keyColumns = primaryKey.map((_, i) => `_k${i + 1}`);
  return { name: `_lms_page_rows_${primaryKey.length}`, keyColumns };
}

/**
 * Upserts a page's keyed rows by set: they are bulk-loaded into a scratch table (COPY, the appender), counted
 * against the stored hashes, and merged in one INSERT … ON CONFLICT DO UPDATE. A row is rewritten only when
 * something would change: its record (hash), the run that last saw it (deletion detection reads it), the page
 * that last wrote it, or a soft delete to undo. A page merged twice therefore writes nothing the second time.
 */
export async function mergeRows(db: SqlDriver, tx: SqlTransaction, target: MergeTarget, rows: KeyedRow[]): Promise<MergeCounts> {
  if (rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const { name, keyColumns } = scratchOf(target.primaryKey);
  const scratch = await tx.loadScratch(
    name,
    ['_key', ...keyColumns, '_record', '_hash'],
    rows.map((row) => [row.key, ...row.keyValues, row.recordJson, row.hash]),
  );
  const table = db.table(target.table);
  // PostgreSQL's planner knows nothing of a freshly loaded scratch table and would hash the whole resource
  // table for a plain join; LATERAL … LIMIT 1 keeps it to one index probe per page row. DuckDB hashes either way.
  const stored =
    db.dialect === 'postgres'
      ? `LEFT JOIN LATERAL (SELECT t._key, t._hash FROM ${table} AS t WHERE t._key = page._key LIMIT 1) AS stored ON true`
      : `LEFT JOIN ${table} AS stored ON stored._key = page._key`;
  const counted = await tx.query(
    `SELECT count(stored._key) AS existing, count(*) FILTER (WHERE stored._hash <> page._hash) AS changed FROM ${scratch} AS page ${stored}`,
  );
  const existing = Number(counted[0]?.['existing'] ?? 0);
  const updated = Number(counted[0]?.['changed'] ?? 0);
  const columns = ['_key', ...target.primaryKey.map(quoteIdent), '_record', '_hash', '_first_run', '_last_run', '_page_sha256', '_synced_at'];
  await tx.query(
    `INSERT INTO ${table} AS target (${columns.join(', ')})
     SELECT _key, ${keyColumns.map((c) => `${c}, `).join('')}${db.jsonParam('_record')}, _hash, $1, $1, $2, CURRENT_TIMESTAMP FROM ${scratch}
     ON CONFLICT (_key) DO UPDATE SET _record = excluded._record, _hash = excluded._hash, _last_run = excluded._last_run,
       _page_sha256 = excluded._page_sha256, _synced_at = excluded._synced_at, _deleted_at = NULL
     WHERE target._hash IS DISTINCT FROM excluded._hash OR target._last_run IS DISTINCT FROM excluded._last_run
       OR target._page_sha256 IS DISTINCT FROM excluded._page_sha256 OR target._deleted_at IS NOT NULL`,
    [target.runId, target.pageSha256],
  );
  return { inserted: rows.length - existing, updated, unchanged: existing - updated };
}
