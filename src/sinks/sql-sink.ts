import { keyPage, type KeyedRow, type RejectedRecord } from './page-rows';
import { KeyTypeLedger } from './key-types';
import { mayHoldUnstorableText } from './record-admission';
import { pageCheck, readStagedRecords } from './staged-page';
import { parseJson } from '../pagination/record-json';
import { chainLink, genesisLink, rowsDigestOf } from '../integrity/audit-chain';
import { fingerprintOf, mergeFingerprints, pageDrift, type DriftFinding, type Fingerprint } from '../integrity/fingerprint';
import type { MissingAuditedRows } from '../integrity/verdict';
import type { RecordIssue } from '../schemas/record-check';
import { ApplicationFailure } from '@temporalio/common';
import { auditedRowsMissing } from './audited-rows';
import { queryByKeys } from './key-lists';
import { DeletionLedger } from './deletion-ledger';
import { CreatedTables, forgetCreatedTables, isMissingTable } from './once';
import { HighWaterMarks } from './high-water';
import { mergeRows } from './row-merge';
import { stopwatch } from './stopwatch';
import { RunLedger } from './run-ledger';
import type { AuditRow, PersistRequest, PersistResult, PersistTimings, QuarantinedRecord, ParentKey, ParentKeysQuery, ResourceTable, RunRow, Sink, StagedPage, StoredRecord, StoredRow } from './sink';
import { StoredRows, type ReadRowsOptions } from './stored-rows';
import { TableOwners, type TableClaim } from './table-owners';
import { TypedViews } from './typed-view';
import { quoteIdent, type SqlDriver, type SqlExecutor, type SqlRow, type SqlValue } from './sql-driver';
import { FailureType } from '../failures';

const STAGING = '_lms_staging';
const AUDIT = '_lms_page_audit';
const QUARANTINE = '_lms_quarantine';
/** The failure type of a persist whose staged page vanished with the sink's tables (the traversal re-fetches it). */
export const STAGED_PAGE_LOST = FailureType.StagedPageLost;
/** An audit table row as the sink's callers read it. */
function auditRowOf(r: SqlRow): AuditRow {
  return {
    runId: String(r['run_id']),
    resource: String(r['traversal']),
    pageNumber: Number(r['page_number']),
    cursorBefore: (r['cursor_before'] as string | null) ?? null,
    cursorAfter: (r['cursor_after'] as string | null) ?? null,
    recordCount: Number(r['record_count']),
    sha256: String(r['sha256']),
    inserted: Number(r['inserted']),
    updated: Number(r['updated']),
    unchanged: Number(r['unchanged']),
    quarantined: Number(r['quarantined']),
    fingerprint: (r['fingerprint'] as string | null | undefined) ?? null,
    drift: (r['drift'] as string | null | undefined) ?? null,
    rowsDigest: (r['rows_digest'] as string | null | undefined) ?? null,
    chainLink: (r['chain_link'] as string | null | undefined) ?? null,
  };
}

/** Where the first rejected record of a page is, and why: what a run report may say (no record content). */
function firstIssueOf(pageNumber: number, recordIndex: number, reason: string): string {
  return `page ${pageNumber}, record ${recordIndex + 1}: ${reason}`;
}

/** Rows per read when a run's rows are walked in batches (runRowBatches): a few MB each, whatever the run's size. */
const RUN_ROWS_PER_BATCH = 5_000;

/**
 * The claim-check store and the upsert, written once for every SQL database. A resource table holds one row
 * per primary key: the key columns, the record as JSON, its hash (so an unchanged record is recognised), and
 * the first and last run that saw it (the basis of deletion detection).
 */
export class SqlSink implements Sink {
  private readonly ready = new CreatedTables();
  readonly ledger: RunLedger;
  readonly deletions: DeletionLedger;
  readonly highWater: HighWaterMarks;
  private readonly owners: TableOwners;
  private readonly views: TypedViews;
  private readonly storedRows: StoredRows;
  private readonly keyTypes: KeyTypeLedger;

  constructor(private readonly db: SqlDriver) {
    this.views = new TypedViews(db);
    this.storedRows = new StoredRows(db, (table) => this.ready.has(table));
    this.keyTypes = new KeyTypeLedger(db);
    this.ledger = new RunLedger(db, (resource) => this.views.afterRun(resource));
    const ensureTable = (table: ResourceTable): Promise<void> => this.ensureResourceTable(table.name, table.primaryKey);
    this.deletions = new DeletionLedger(db, ensureTable);
    this.highWater = new HighWaterMarks(db, ensureTable);
    this.owners = new TableOwners(db);
  }

  claimTable(claim: TableClaim): Promise<void> {
    return healingMissingTables(() => this.owners.claim(claim));
  }

  stagePage(page: StagedPage): Promise<void> {
    return healingMissingTables(() => this.stagePageOnce(page));
  }

  private async stagePageOnce(page: StagedPage): Promise<void> {
    await this.ensureInternalTables();
    // Beside the transaction persisting the page before this one: the fetch ahead need not wait for it.
    await this.db.queryBeside(
      `INSERT INTO ${this.db.table(STAGING)} (ref, run_id, resource, page_number, records, staged_at) VALUES ($1, $2, $3, $4, $5, CURRENT_TIMESTAMP)
       ON CONFLICT (ref) DO UPDATE SET records = excluded.records, staged_at = excluded.staged_at`,
      [page.ref, page.runId, page.resource, page.pageNumber, page.recordsJson],
    );
  }

  persistPage(request: PersistRequest): Promise<PersistResult> {
    return healingMissingTables(() => this.persistPageOnce(request));
  }

  private async persistPageOnce(request: PersistRequest): Promise<PersistResult> {
    await this.ensureInternalTables();
    await this.ensureResourceTable(request.resource.name, request.resource.primaryKey);
    let stored: unknown[] = [];
    const watch = stopwatch();
    const timings: PersistTimings = { readMs: 0, keyMs: 0, shapeMs: 0, mergeMs: 0, auditMs: 0, totalMs: 0 };
    const result = await this.db.transaction(async (tx) => {
      // Taken out of staging in the same transaction that stores it: a failed persist leaves it staged.
      const staged = await tx.query(`DELETE FROM ${this.db.table(STAGING)} WHERE ref = $1 RETURNING records`, [request.ref]);
      const recordsJson = staged[0]?.['records'];
      if (typeof recordsJson !== 'string') return this.alreadyPersisted(tx, request);
      const stagedPage = readStagedRecords(recordsJson);
      const served = stagedPage.records;
      timings.readMs = watch.lap();
      const defaults = request.recordDefaults;
      const records = defaults === undefined ? served : served.map((r) => (r !== null && typeof r === 'object' && !Array.isArray(r) ? { ...defaults, ...r } : r));
      const knownKeyTypes = await this.keyTypes.read(tx, request.resource.name);
      const { rows, rejected, keyTypes } = keyPage(records, request.resource.primaryKey, pageCheck(request.check, stagedPage), {
        jsonb: this.db.dialect === 'postgres',
        suspectText: mayHoldUnstorableText(recordsJson),
        keyTypes: knownKeyTypes,
      });
      await this.keyTypes.learn(tx, request.resource.name, knownKeyTypes, keyTypes);
      timings.keyMs = watch.lap();
      const shape = await this.trackShape(tx, request, records);
      timings.shapeMs = watch.lap();
      const merged = await mergeRows(this.db, tx, { table: request.resource.name, primaryKey: request.resource.primaryKey, runId: request.runId, pageSha256: request.sha256 }, rows);
      timings.mergeMs = watch.lap();
      const result: PersistResult = { ...merged, quarantined: rejected.length, drift: shape.drift, timings };
      const first = rejected[0];
      if (first !== undefined) result.firstIssue = firstIssueOf(request.pageNumber, first.index, first.reason);
      await this.readmit(tx, request, rows);
      await this.quarantine(tx, request, rejected);
      await this.audit(tx, request, rows, rejected.length, result, shape.fingerprint);
      timings.auditMs = watch.lap();
      stored = records;
      return result;
    });
    await this.views.afterPage(request.resource.name, stored);
    timings.totalMs = watch.total();
    return result;
  }

  async wasRequested(runId: string, resource: string, url: string): Promise<boolean> {
    await this.ensureInternalTables();
    const found = await this.db.queryBeside(
      `SELECT 1 AS seen FROM ${this.db.table(AUDIT)} WHERE run_id = $1 AND traversal = $2 AND cursor_before = $3 LIMIT 1`,
      [runId, resource, url],
    );
    return found.length > 0;
  }

  readRows(resource: string, options?: ReadRowsOptions): Promise<StoredRow[]> {
    return this.storedRows.all(resource, options);
  }

  readRowsAfter(resource: string, afterKey: string | null, limit: number, options?: ReadRowsOptions): Promise<StoredRecord[]> {
    return this.storedRows.after(resource, afterKey, limit, options);
  }

  async parentKeys(query: ParentKeysQuery): Promise<ParentKey[]> {
    const field = this.db.jsonText('_record', query.field);
    const extras = query.with ?? [];
    const { where, params } = this.parentFilter(query);
    const columns = [`${field} AS k`, ...extras.map((name, i) => `max(${this.db.jsonText('_record', name)}) AS x${i}`)];
    const rows = await this.db.query(
      `SELECT ${columns.join(', ')} FROM ${this.db.table(query.table)} WHERE ${where.join(' AND ')} GROUP BY ${field} ORDER BY k LIMIT $${params.push(query.limit)}`,
      params,
    );
    return rows.map((r) => ({ key: String(r['k']), values: Object.fromEntries(extras.map((name, i) => [name, String(r[`x${i}`] ?? '')])) }));
  }

  async countParentKeys(query: Omit<ParentKeysQuery, 'afterKey' | 'limit' | 'with'>): Promise<number> {
    const { where, params } = this.parentFilter({ ...query, afterKey: null });
    const rows = await this.db.query(`SELECT count(DISTINCT ${this.db.jsonText('_record', query.field)}) AS n FROM ${this.db.table(query.table)} WHERE ${where.join(' AND ')}`, params);
    return Number(rows[0]?.['n'] ?? 0);
  }

  /** Which parent rows a fan-out walks: this run's or the sink's, after a key, only some keys. */
  private parentFilter(query: Pick<ParentKeysQuery, 'field' | 'runId' | 'afterKey' | 'only'>): { where: string[]; params: SqlValue[] } {
    const field = this.db.jsonText('_record', query.field);
    const params: SqlValue[] = [];
    const where = [`${field} IS NOT NULL`];
    where.push(query.runId === null ? '_deleted_at IS NULL' : `_last_run = $${params.push(query.runId)}`);
    if (query.afterKey !== null) where.push(`${field} > $${params.push(query.afterKey)}`);
    if (query.only !== undefined) where.push(query.only.length === 0 ? 'false' : `${field} IN (${query.only.map((k) => `$${params.push(k)}`).join(', ')})`);
    return { where, params };
  }

  async readAudit(runId: string, resource: string): Promise<AuditRow[]> {
    await this.ensureInternalTables();
    const rows = await this.db.query(
      `SELECT * FROM ${this.db.table(AUDIT)} WHERE run_id = $1 AND traversal = $2 ORDER BY page_number`,
      [runId, resource],
    );
    return rows.map(auditRowOf);
  }

  async readRunAudit(runId: string, resource: string): Promise<AuditRow[]> {
    await this.ensureInternalTables();
    // A resource's traversals are named `r`, `r/p2`, `r~reconcile`, `r~restart1`…: match the name and its suffixes.
    // One statement for all of them (a fan-out has one per parent), ordered here rather than by the database's
    // collation: by traversal name as code units, then page.
    const rows = await this.db.query(
      `SELECT * FROM ${this.db.table(AUDIT)} WHERE run_id = $1 AND (traversal = $2 OR substr(traversal, 1, $3) IN ($4, $5))`,
      [runId, resource, resource.length + 1, `${resource}/`, `${resource}~`],
    );
    return rows.map(auditRowOf).sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : a.pageNumber - b.pageNumber));
  }

  /** Rows this run's audit says it stored that the resource table no longer holds (a sink that lost them). */
  async missingAuditedRows(runId: string, resource: ResourceTable, audit: AuditRow[]): Promise<MissingAuditedRows> {
    await this.ensureInternalTables();
    await this.ensureResourceTable(resource.name, resource.primaryKey);
    return auditedRowsMissing(this.db, { audit: this.db.table(AUDIT), rows: this.db.table(resource.name) }, runId, audit);
  }

  async readRunRows(runId: string, resource: ResourceTable, options: { records?: boolean } = {}): Promise<RunRow[]> {
    await this.ensureResourceTable(resource.name, resource.primaryKey);
    const record = options.records ? ', CAST(_record AS VARCHAR) AS record' : '';
    const rows = await this.db.query(`SELECT _key, _hash, _page_sha256${record} FROM ${this.db.table(resource.name)} WHERE _last_run = $1 ORDER BY _key`, [runId]);
    return rows.map((r) => ({
      key: String(r['_key']),
      hash: String(r['_hash']),
      pageSha256: String(r['_page_sha256']),
      ...(options.records ? { recordJson: String(r['record']) } : {}),
    }));
  }

  async *runRowBatches(runId: string, resource: ResourceTable, batchSize = RUN_ROWS_PER_BATCH): AsyncIterable<RunRow[]> {
    await this.ensureResourceTable(resource.name, resource.primaryKey);
    // Keyset on the primary key: each batch starts after the last key of the one before, in readRunRows' order.
    let afterKey: string | null = null;
    for (;;) {
      const rows = await this.db.query(
        `SELECT _key, _hash, _page_sha256 FROM ${this.db.table(resource.name)} WHERE _last_run = $1${afterKey === null ? '' : ' AND _key > $3'} ORDER BY _key LIMIT $2`,
        afterKey === null ? [runId, batchSize] : [runId, batchSize, afterKey],
      );
      const batch = rows.map((r) => ({ key: String(r['_key']), hash: String(r['_hash']), pageSha256: String(r['_page_sha256']) }));
      if (batch.length > 0) yield batch;
      if (batch.length < batchSize) return;
      afterKey = batch[batch.length - 1]?.key ?? null;
    }
  }

  async knownKeys(runId: string, resource: ResourceTable, keys: string[]): Promise<Set<string>> {
    await this.ensureInternalTables();
    await this.ensureResourceTable(resource.name, resource.primaryKey);
    const known = new Set<string>();
    const stored = await queryByKeys(this.db, keys, (keyList) => `SELECT _key AS k FROM ${this.db.table(resource.name)} WHERE _key IN (${keyList})`);
    const quarantined = await queryByKeys(
      this.db,
      keys,
      (keyList) => `SELECT record_key AS k FROM ${this.db.table(QUARANTINE)} WHERE run_id = $1 AND resource_table = $2 AND record_key IN (${keyList})`,
      [runId, resource.name],
    );
    for (const row of [...stored, ...quarantined]) known.add(String(row['k']));
    return known;
  }

  async readQuarantine(filter: { resource?: string; includeReadmitted?: boolean } = {}): Promise<QuarantinedRecord[]> {
    await this.ensureInternalTables();
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter.resource !== undefined) {
      params.push(filter.resource);
      where.push(`resource_table = $${params.length}`);
    }
    if (filter.includeReadmitted !== true) where.push('readmitted_run IS NULL');
    const rows = await this.db.query(
      `SELECT * FROM ${this.db.table(QUARANTINE)} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY quarantined_at, run_id, traversal, page_number, record_index`,
      params,
    );
    return rows.map((r) => ({
      runId: String(r['run_id']),
      resource: String(r['resource_table'] ?? r['traversal']),
      traversal: String(r['traversal']),
      pageNumber: Number(r['page_number']),
      recordIndex: Number(r['record_index']),
      key: (r['record_key'] as string | null) ?? null,
      reason: String(r['reason']),
      issues: r['issues'] === null || r['issues'] === undefined ? [] : (JSON.parse(String(r['issues'])) as RecordIssue[]),
      record: parseJson(String(r['record'])),
      quarantinedAt: new Date(String(r['quarantined_at'])).toISOString(),
      readmittedRun: (r['readmitted_run'] as string | null) ?? null,
    }));
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /** A retried persist after a commit whose reply was lost: the audit row holds what the first one did. */
  private async alreadyPersisted(tx: SqlExecutor, request: PersistRequest): Promise<PersistResult> {
    const audit = await tx.query(
      `SELECT inserted, updated, unchanged, quarantined, drift FROM ${this.db.table(AUDIT)} WHERE run_id = $1 AND traversal = $2 AND page_number = $3`,
      [request.runId, request.traversal, request.pageNumber],
    );
    const row = audit[0];
    // Only a sink that lost its tables (dropped, restored) loses a staged page: fetching it again is the cure.
    if (row === undefined) {
      throw ApplicationFailure.nonRetryable(`${request.traversal} page ${request.pageNumber}: the staged page ${request.ref} is no longer in the sink and was never persisted (was the sink's database dropped or restored?); fetching it again`, STAGED_PAGE_LOST);
    }
    const result: PersistResult = {
      inserted: 0,
      updated: 0,
      unchanged: Number(row['inserted']) + Number(row['updated']) + Number(row['unchanged']),
      quarantined: Number(row['quarantined']),
      drift: row['drift'] ? (JSON.parse(String(row['drift'])) as DriftFinding[]) : [],
    };
    const first = await tx.query(
      `SELECT record_index, reason FROM ${this.db.table(QUARANTINE)} WHERE run_id = $1 AND traversal = $2 AND page_number = $3 ORDER BY record_index LIMIT 1`,
      [request.runId, request.traversal, request.pageNumber],
    );
    if (first[0] !== undefined) result.firstIssue = firstIssueOf(request.pageNumber, Number(first[0]['record_index']), String(first[0]['reason']));
    return result;
  }

  /** Records quarantined by an earlier page or run that now pass (a fixed schema, a fixed source) are re-admitted. */
  private async readmit(tx: SqlExecutor, request: PersistRequest, rows: KeyedRow[]): Promise<void> {
    if (rows.length === 0) return;
    const pending = await tx.query(
      `SELECT 1 AS pending FROM ${this.db.table(QUARANTINE)} WHERE resource_table = $1 AND readmitted_run IS NULL AND record_key IS NOT NULL LIMIT 1`,
      [request.resource.name],
    );
    if (pending.length === 0) return;
    await queryByKeys(
      tx,
      rows.map((r) => r.key),
      (keyList) => `UPDATE ${this.db.table(QUARANTINE)} SET readmitted_run = $1 WHERE resource_table = $2 AND readmitted_run IS NULL AND record_key IN (${keyList})`,
      [request.runId, request.resource.name],
    );
  }

  private async quarantine(tx: SqlExecutor, request: PersistRequest, rejected: RejectedRecord[]): Promise<void> {
    for (const record of rejected) {
      await tx.query(
        `INSERT INTO ${this.db.table(QUARANTINE)} (run_id, traversal, page_number, record_index, record, reason, quarantined_at,
           resource_table, record_key, issues)
         VALUES ($1, $2, $3, $4, $5, $6, CURRENT_TIMESTAMP, $7, $8, $9) ON CONFLICT (run_id, traversal, page_number, record_index) DO NOTHING`,
        [request.runId, request.traversal, request.pageNumber, record.index, record.recordJson, record.reason,
          request.resource.name, record.key, JSON.stringify(record.issues)],
      );
    }
  }

  /**
   * The page's shape, and how it departs from what this run has seen of the resource so far (the first page
   * of a run sets the shape; drift against the last run is judged once the traversal is over).
   */
  private async trackShape(tx: SqlExecutor, request: PersistRequest, records: unknown[]): Promise<{ fingerprint: Fingerprint; drift: DriftFinding[] }> {
    const page = fingerprintOf(records);
    const known = await this.ledger.knownFingerprint(tx, request.runId, request.resource.name);
    const drift = Object.keys(known.all).length === 0 ? [] : pageDrift(known.all, page.fingerprint, request.pageNumber, page.firstSeen);
    await this.ledger.saveFingerprint(tx, request.runId, request.resource.name, request.traversal, mergeFingerprints(known.own(request.traversal), page.fingerprint));
    return { fingerprint: page.fingerprint, drift };
  }

  private async audit(tx: SqlExecutor, request: PersistRequest, rows: KeyedRow[], rejected: number, result: PersistResult, fingerprint: Fingerprint): Promise<void> {
    const previous = await tx.query(
      `SELECT chain_link FROM ${this.db.table(AUDIT)} WHERE run_id = $1 AND traversal = $2 AND page_number < $3 ORDER BY page_number DESC LIMIT 1`,
      [request.runId, request.traversal, request.pageNumber],
    );
    const previousLink = (previous[0]?.['chain_link'] as string | null | undefined) ?? genesisLink(request.runId, request.traversal);
    const rowsDigest = rowsDigestOf(rows);
    await tx.query(
      `INSERT INTO ${this.db.table(AUDIT)} (run_id, traversal, page_number, cursor_before, cursor_after, record_count, sha256,
         inserted, updated, unchanged, quarantined, persisted_at, fingerprint, drift, rows_digest, chain_link, row_keys)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CURRENT_TIMESTAMP, $12, $13, $14, $15, $16)
       ON CONFLICT (run_id, traversal, page_number) DO NOTHING`,
      [request.runId, request.traversal, request.pageNumber, request.cursorBefore, request.cursorAfter, rows.length + rejected,
        request.sha256, result.inserted, result.updated, result.unchanged, result.quarantined, JSON.stringify(fingerprint),
        JSON.stringify(result.drift), rowsDigest, chainLink(previousLink, request.sha256, rowsDigest), JSON.stringify(rows.map((r) => r.key))],
    );
  }

  private async ensureInternalTables(): Promise<void> {
    if (this.ready.has(STAGING)) return;
    await this.db.transaction(async (tx) => {
      await tx.query(`CREATE TABLE IF NOT EXISTS ${this.db.table(STAGING)} (ref VARCHAR PRIMARY KEY, run_id VARCHAR NOT NULL,
        resource VARCHAR NOT NULL, page_number INTEGER NOT NULL, records VARCHAR NOT NULL, staged_at TIMESTAMP NOT NULL)`);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${this.db.table(AUDIT)} (run_id VARCHAR NOT NULL, traversal VARCHAR NOT NULL,
        page_number INTEGER NOT NULL, cursor_before VARCHAR, cursor_after VARCHAR, record_count INTEGER NOT NULL,
        sha256 VARCHAR NOT NULL, inserted INTEGER NOT NULL, updated INTEGER NOT NULL, unchanged INTEGER NOT NULL,
        quarantined INTEGER NOT NULL, persisted_at TIMESTAMP NOT NULL, PRIMARY KEY (run_id, traversal, page_number))`);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${this.db.table(QUARANTINE)} (run_id VARCHAR NOT NULL, traversal VARCHAR NOT NULL,
        page_number INTEGER NOT NULL, record_index INTEGER NOT NULL, record VARCHAR NOT NULL, reason VARCHAR NOT NULL,
        quarantined_at TIMESTAMP NOT NULL, PRIMARY KEY (run_id, traversal, page_number, record_index))`);
      // A sink created before `traversal` was named for what it holds calls it `resource`: renamed in place, once. This
      // transaction began with a CREATE, which on PostgreSQL takes the DDL lock, so of two workers opening such a sink
      // at once one renames the column and the other, let in after that commit, finds it renamed.
      for (const table of [AUDIT, QUARANTINE]) {
        if (await this.db.hasColumn(tx, table, 'resource')) await tx.query(`ALTER TABLE ${this.db.table(table)} RENAME COLUMN resource TO traversal`);
      }
      // Columns added after the first release: the tables of an existing sink grow them in place.
      for (const column of ['resource_table', 'record_key', 'issues', 'readmitted_run']) {
        await tx.query(`ALTER TABLE ${this.db.table(QUARANTINE)} ADD COLUMN IF NOT EXISTS ${column} VARCHAR`);
      }
      // row_keys: the keys the page stored, so completeness and verify can tell a row the sink lost.
      for (const column of ['fingerprint', 'drift', 'rows_digest', 'chain_link', 'row_keys']) {
        await tx.query(`ALTER TABLE ${this.db.table(AUDIT)} ADD COLUMN IF NOT EXISTS ${column} VARCHAR`);
      }
    });
    await this.ledger.ensureTables();
    await this.keyTypes.ensureTable();
    this.ready.add(STAGING);
  }

  private async ensureResourceTable(name: string, primaryKey: string[]): Promise<void> {
    if (this.ready.has(name)) return;
    const keyColumns = primaryKey.map((k) => `${quoteIdent(k)} VARCHAR NOT NULL`).join(', ');
    await this.db.transaction((tx) =>
      tx.query(`CREATE TABLE IF NOT EXISTS ${this.db.table(name)} (_key VARCHAR PRIMARY KEY, ${keyColumns},
        _record ${this.db.jsonType} NOT NULL, _hash VARCHAR NOT NULL, _first_run VARCHAR NOT NULL, _last_run VARCHAR NOT NULL,
        _page_sha256 VARCHAR NOT NULL, _synced_at TIMESTAMP NOT NULL, _deleted_at TIMESTAMP)`),
    );
    // Added after the first release: a table created before it grows the column in place.
    await this.db.transaction((tx) => tx.query(`ALTER TABLE ${this.db.table(name)} ADD COLUMN IF NOT EXISTS _deleted_at TIMESTAMP`));
    this.ready.add(name);
  }
}

/** Runs `work`; if a table it needs vanished under us, once more, now that every memo of created tables is forgotten. */
async function healingMissingTables<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isMissingTable(error)) throw error;
    forgetCreatedTables();
    return work();
  }
}
