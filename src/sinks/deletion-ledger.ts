import type { ResourceTable } from './sink';
import { once } from './once';
import type { SqlDriver, SqlExecutor, SqlValue } from './sql-driver';
import { queryByKeys } from './key-lists';

const DELETIONS = '_lms_deletions';
const SCANS = '_lms_deletion_scans';
const ACTIONS = '_lms_actions';

export type DeletionStatus = 'flagged' | 'applied' | 'unflagged' | 'restored';

/** A row a complete traversal no longer saw, held for review. */
export interface FlaggedDeletion {
  resource: string;
  key: string;
  /** The last run that saw it, and when it was stored or confirmed then. */
  lastSeenRun: string;
  lastSeenAt: string;
  flaggedRun: string;
  status: DeletionStatus;
  /** The run or operator action that last changed the status. */
  statusBy: string;
  /** For a deletion the source published (Ed-Fi tombstone): its change version. */
  changeVersion: number | null;
}

export interface DeletionScanResult {
  outcome: 'flagged' | 'anomaly';
  /** Rows not seen by this run (not yet soft-deleted). */
  missing: number;
  /** Of those, flagged by this scan for the first time. */
  newlyFlagged: number;
  /** Flags lifted because the row was seen again (and soft deletions undone). */
  unflagged: number;
  /** Rows of the resource not soft-deleted, before this scan. */
  liveRows: number;
  detail: string;
}

/**
 * Deletion detection in the sink: which stored rows a complete traversal did not see (every row carries the
 * last run that saw it), a review table of flags, and the operator's soft delete. Nothing is ever removed:
 * `--apply` sets `_deleted_at`; a row seen again is un-flagged (and undeleted by the upsert).
 */
export class DeletionLedger {
  constructor(
    private readonly db: SqlDriver,
    private readonly ensureTable: (table: ResourceTable) => Promise<void>,
  ) {}

  private readonly ensureTables = once(async (): Promise<void> => {
    await this.db.transaction(async (tx) => {
      await tx.query(`CREATE TABLE IF NOT EXISTS ${this.db.table(DELETIONS)} (resource VARCHAR NOT NULL, record_key VARCHAR NOT NULL,
        last_seen_run VARCHAR NOT NULL, last_seen_at TIMESTAMP NOT NULL, flagged_run VARCHAR NOT NULL, flagged_at TIMESTAMP NOT NULL,
        status VARCHAR NOT NULL, status_by VARCHAR NOT NULL, status_at TIMESTAMP NOT NULL, PRIMARY KEY (resource, record_key))`);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${this.db.table(SCANS)} (resource VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
        outcome VARCHAR NOT NULL, missing INTEGER NOT NULL, newly_flagged INTEGER NOT NULL, unflagged INTEGER NOT NULL,
        live_rows INTEGER NOT NULL, detail VARCHAR NOT NULL, scanned_at TIMESTAMP NOT NULL, PRIMARY KEY (resource, run_id))`);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${this.db.table(ACTIONS)} (action VARCHAR NOT NULL, resource VARCHAR NOT NULL,
        records INTEGER NOT NULL, detail VARCHAR NOT NULL, acted_by VARCHAR NOT NULL, acted_at TIMESTAMP NOT NULL)`);
      // Published deletions (Ed-Fi /deletes): the tombstone's change version, and how far each scan read.
      await tx.query(`ALTER TABLE ${this.db.table(DELETIONS)} ADD COLUMN IF NOT EXISTS change_version BIGINT`);
      await tx.query(`ALTER TABLE ${this.db.table(SCANS)} ADD COLUMN IF NOT EXISTS newest_change_version BIGINT`);
    });
  });

  /**
   * Compares the resource's stored rows with what `runId` saw. Call it only after a complete traversal of the
   * whole collection: that is what makes "not seen" mean "gone".
   */
  async scan(runId: string, table: ResourceTable, maxShare: number): Promise<DeletionScanResult> {
    await this.ensureTables();
    await this.ensureTable(table);
    const rows = this.db.table(table.name);
    return this.db.transaction(async (tx) => {
      const unflagged = await this.unflagSeen(tx, runId, table.name);
      const live = await tx.query(`SELECT count(*) AS n FROM ${rows} WHERE _deleted_at IS NULL`);
      const liveRows = Number(live[0]?.['n'] ?? 0);
      const missing = await tx.query(
        `SELECT _key, _last_run, CAST(_synced_at AS VARCHAR) AS seen_at FROM ${rows} WHERE _last_run <> $1 AND _deleted_at IS NULL ORDER BY _key`,
        [runId],
      );
      let result: DeletionScanResult;
      if (missing.length > maxShare * liveRows) {
        // A mass disappearance is far likelier a broken filter, a revoked permission or an API change than
        // real deletions: flag nothing and say so.
        const share = liveRows === 0 ? 1 : missing.length / liveRows;
        result = { outcome: 'anomaly', missing: missing.length, newlyFlagged: 0, unflagged, liveRows,
          detail: `${missing.length} of ${liveRows} rows (${(share * 100).toFixed(1)}%) were not seen, over the cap of ${(maxShare * 100).toFixed(1)}%: nothing flagged` };
      } else {
        const newlyFlagged = await this.flag(tx, runId, table.name, missing);
        result = { outcome: 'flagged', missing: missing.length, newlyFlagged, unflagged, liveRows, detail: `${missing.length} rows not seen by this complete traversal are flagged for review` };
      }
      await tx.query(
        `INSERT INTO ${this.db.table(SCANS)} (resource, run_id, outcome, missing, newly_flagged, unflagged, live_rows, detail, scanned_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CURRENT_TIMESTAMP)
         ON CONFLICT (resource, run_id) DO UPDATE SET outcome = excluded.outcome, missing = excluded.missing,
           newly_flagged = excluded.newly_flagged, unflagged = excluded.unflagged, live_rows = excluded.live_rows, detail = excluded.detail`,
        [table.name, runId, result.outcome, result.missing, result.newlyFlagged, result.unflagged, result.liveRows, result.detail],
      );
      return result;
    });
  }

  /**
   * Flags the stored rows the source says it deleted (tombstones with their change versions) — the source's
   * word, so no cap applies — and remembers the newest change version read, where the next scan starts.
   */
  async flagPublished(runId: string, table: ResourceTable, tombstones: Array<{ key: string; changeVersion: number }>, newestChangeVersion: number): Promise<DeletionScanResult> {
    await this.ensureTables();
    await this.ensureTable(table);
    return this.db.transaction(async (tx) => {
      const unflagged = await this.unflagSeen(tx, runId, table.name);
      const live = await tx.query(`SELECT count(*) AS n FROM ${this.db.table(table.name)} WHERE _deleted_at IS NULL`);
      const stored = new Map<string, Record<string, unknown>>();
      const rows = await queryByKeys(
        tx,
        tombstones.map((t) => t.key),
        (keyList) => `SELECT _key, _last_run, CAST(_synced_at AS VARCHAR) AS seen_at FROM ${this.db.table(table.name)}
           WHERE _deleted_at IS NULL AND _key IN (${keyList})`,
      );
      for (const row of rows) stored.set(String(row['_key']), row);
      const found = tombstones.filter((t) => stored.has(t.key));
      const newlyFlagged = await this.flag(tx, runId, table.name, found.map((t) => stored.get(t.key) as Record<string, unknown>));
      for (const t of found) {
        await tx.query(`UPDATE ${this.db.table(DELETIONS)} SET change_version = $1 WHERE resource = $2 AND record_key = $3`, [t.changeVersion, table.name, t.key]);
      }
      const result: DeletionScanResult = {
        outcome: 'flagged',
        missing: found.length,
        newlyFlagged,
        unflagged,
        liveRows: Number(live[0]?.['n'] ?? 0),
        detail: `${tombstones.length} deletions published by the source (/deletes, up to change version ${newestChangeVersion}); ${found.length} of them were stored and are flagged`,
      };
      await tx.query(
        `INSERT INTO ${this.db.table(SCANS)} (resource, run_id, outcome, missing, newly_flagged, unflagged, live_rows, detail, scanned_at, newest_change_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CURRENT_TIMESTAMP, $9)
         ON CONFLICT (resource, run_id) DO UPDATE SET outcome = excluded.outcome, missing = excluded.missing, newly_flagged = excluded.newly_flagged,
           unflagged = excluded.unflagged, live_rows = excluded.live_rows, detail = excluded.detail, newest_change_version = excluded.newest_change_version`,
        [table.name, runId, result.outcome, result.missing, result.newlyFlagged, result.unflagged, result.liveRows, result.detail, newestChangeVersion],
      );
      return result;
    });
  }

  /** The newest change version an earlier scan of published deletions read, if any. */
  async lastPublishedVersion(resource: string): Promise<number | undefined> {
    await this.ensureTables();
    const rows = await this.db.query(`SELECT max(newest_change_version) AS v FROM ${this.db.table(SCANS)} WHERE resource = $1`, [resource]);
    const value = rows[0]?.['v'];
    return value === null || value === undefined ? undefined : Number(value);
  }

  /** When the resource's deletions were last scanned (an anomaly counts: the scan ran), if ever. */
  async lastScanAt(resource: string): Promise<string | undefined> {
    await this.ensureTables();
    const rows = await this.db.query(`SELECT max(scanned_at) AS at FROM ${this.db.table(SCANS)} WHERE resource = $1`, [resource]);
    const at = rows[0]?.['at'];
    return at === null || at === undefined ? undefined : new Date(String(at)).toISOString();
  }

  async list(filter: { resource?: string; status?: DeletionStatus } = {}): Promise<FlaggedDeletion[]> {
    await this.ensureTables();
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter.resource !== undefined) where.push(`resource = $${params.push(filter.resource)}`);
    if (filter.status !== undefined) where.push(`status = $${params.push(filter.status)}`);
    const rows = await this.db.query(
      `SELECT resource, record_key, last_seen_run, CAST(last_seen_at AS VARCHAR) AS last_seen_at, flagged_run, status, status_by, change_version
       FROM ${this.db.table(DELETIONS)} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY resource, record_key`,
      params,
    );
    return rows.map((r) => ({
      resource: String(r['resource']),
      key: String(r['record_key']),
      lastSeenRun: String(r['last_seen_run']),
      lastSeenAt: String(r['last_seen_at']),
      flaggedRun: String(r['flagged_run']),
      status: String(r['status']) as DeletionStatus,
      statusBy: String(r['status_by']),
      changeVersion: r['change_version'] === null || r['change_version'] === undefined ? null : Number(r['change_version']),
    }));
  }

  /** The operator's decision: soft-delete every flagged row of the resource (`_deleted_at`), with an audit row. */
  async apply(table: ResourceTable, actedBy: string): Promise<number> {
    await this.ensureTables();
    await this.ensureTable(table);
    return this.db.transaction(async (tx) => {
      const flagged = await tx.query(`SELECT record_key FROM ${this.db.table(DELETIONS)} WHERE resource = $1 AND status = 'flagged'`, [table.name]);
      const keys = flagged.map((r) => String(r['record_key']));
      await queryByKeys(tx, keys, (keyList) => `UPDATE ${this.db.table(table.name)} SET _deleted_at = CURRENT_TIMESTAMP WHERE _key IN (${keyList})`);
      const action = `apply-deletions@${new Date().toISOString()}`;
      await tx.query(
        `UPDATE ${this.db.table(DELETIONS)} SET status = 'applied', status_by = $1, status_at = CURRENT_TIMESTAMP WHERE resource = $2 AND status = 'flagged'`,
        [action, table.name],
      );
      await tx.query(
        `INSERT INTO ${this.db.table(ACTIONS)} (action, resource, records, detail, acted_by, acted_at) VALUES ('apply-deletions', $1, $2, $3, $4, CURRENT_TIMESTAMP)`,
        [table.name, keys.length, `soft-deleted (_deleted_at) the ${keys.length} flagged rows`, actedBy],
      );
      return keys.length;
    });
  }

  /** Flags seen again by this run: lifted (and an applied soft delete was already undone by the upsert). */
  private async unflagSeen(tx: SqlExecutor, runId: string, resource: string): Promise<number> {
    const seen = await tx.query(
      `SELECT d.record_key, d.status FROM ${this.db.table(DELETIONS)} d JOIN ${this.db.table(resource)} r ON r._key = d.record_key
       WHERE d.resource = $1 AND d.status IN ('flagged', 'applied') AND r._last_run = $2`,
      [resource, runId],
    );
    for (const row of seen) {
      await tx.query(
        `UPDATE ${this.db.table(DELETIONS)} SET status = $1, status_by = $2, status_at = CURRENT_TIMESTAMP WHERE resource = $3 AND record_key = $4`,
        [row['status'] === 'applied' ? 'restored' : 'unflagged', runId, resource, String(row['record_key'])],
      );
    }
    return seen.length;
  }

  /** Flags rows not seen; a row already flagged keeps its first flag. Returns how many are new. */
  private async flag(tx: SqlExecutor, runId: string, resource: string, missing: Array<Record<string, unknown>>): Promise<number> {
    const already = new Set(
      (await tx.query(`SELECT record_key FROM ${this.db.table(DELETIONS)} WHERE resource = $1 AND status = 'flagged'`, [resource])).map((r) => String(r['record_key'])),
    );
    let added = 0;
    for (const row of missing) {
      const key = String(row['_key']);
      if (already.has(key)) continue;
      await tx.query(
        `INSERT INTO ${this.db.table(DELETIONS)} (resource, record_key, last_seen_run, last_seen_at, flagged_run, flagged_at, status, status_by, status_at)
         VALUES ($1, $2, $3, CAST($4 AS TIMESTAMP), $5, CURRENT_TIMESTAMP, 'flagged', $5, CURRENT_TIMESTAMP)
         ON CONFLICT (resource, record_key) DO UPDATE SET last_seen_run = excluded.last_seen_run, last_seen_at = excluded.last_seen_at,
           flagged_run = excluded.flagged_run, flagged_at = excluded.flagged_at, status = 'flagged', status_by = excluded.status_by, status_at = excluded.status_at`,
        [resource, key, String(row['_last_run']), String(row['seen_at']), runId],
      );
      added += 1;
    }
    return added;
  }
}
