import { parseJson } from '../pagination/record-json';
import type { StoredRecord, StoredRow } from './sink';
import type { SqlDriver, SqlRow, SqlValue } from './sql-driver';

/** What a reader asking for a resource nothing was stored for yet is told (instead of the database's own words). */
export class NoRowsYetError extends Error {
  constructor(readonly resource: string) {
    super(`no rows stored for resource ${resource} yet (run an export first)`);
    this.name = 'NoRowsYetError';
  }
}

export interface ReadRowsOptions {
  /** Leave out rows soft-deleted with `deletions --apply` (`_deleted_at` set). */
  excludeDeleted?: boolean;
}

const COLUMNS = `_key, CAST(_record AS VARCHAR) AS record, _first_run, _last_run, _deleted_at`;

/** A timestamp as both drivers return it (a Date, or text from DuckDB casts) in ISO 8601, UTC. */
function isoTime(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return (value instanceof Date ? value : new Date(String(value))).toISOString();
}

function storedRecordOf(row: SqlRow): StoredRecord {
  return {
    key: String(row['_key']),
    recordJson: String(row['record']),
    firstRun: String(row['_first_run']),
    lastRun: String(row['_last_run']),
    deletedAt: isoTime(row['_deleted_at']),
  };
}

/** The readers consumers use (dump, export-file): key order, the row's run columns with the record. */
export class StoredRows {
  constructor(
    private readonly db: SqlDriver,
    private readonly created: (table: string) => boolean,
  ) {}

  async all(resource: string, options: ReadRowsOptions = {}): Promise<StoredRow[]> {
    await this.requireTable(resource);
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM ${this.db.table(resource)} ${options.excludeDeleted ? 'WHERE _deleted_at IS NULL' : ''} ORDER BY _key`);
    return rows.map((r) => {
      const stored = storedRecordOf(r);
      return {
        key: JSON.parse(stored.key) as unknown[],
        record: parseJson(stored.recordJson) as Record<string, unknown>,
        firstRun: stored.firstRun,
        lastRun: stored.lastRun,
        deletedAt: stored.deletedAt,
      };
    });
  }

  async after(resource: string, afterKey: string | null, limit: number, options: ReadRowsOptions = {}): Promise<StoredRecord[]> {
    await this.requireTable(resource);
    const params: SqlValue[] = [];
    const where: string[] = [];
    if (afterKey !== null) where.push(`_key > $${params.push(afterKey)}`);
    if (options.excludeDeleted) where.push('_deleted_at IS NULL');
    const rows = await this.db.query(
      `SELECT ${COLUMNS} FROM ${this.db.table(resource)} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY _key LIMIT $${params.push(limit)}`,
      params,
    );
    return rows.map(storedRecordOf);
  }

  private async requireTable(resource: string): Promise<void> {
    if (!this.created(resource) && !(await this.db.tableExists(resource))) throw new NoRowsYetError(resource);
  }
}
