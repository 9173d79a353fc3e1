import type { MissingAuditedRows } from '../integrity/verdict';
import type { TableClaim } from './table-owners';
import type { DriftFinding } from '../integrity/fingerprint';
import type { RecordCheck, RecordIssue } from '../schemas/record-check';
import type { DeletionLedger } from './deletion-ledger';
import type { HighWaterMarks } from './high-water';
import type { RunLedger } from './run-ledger';
import type { ReadRowsOptions } from './stored-rows';

/** Where pages land. One interface for every database; activities see nothing else. */

export interface StagedPage {
  /** Deterministic per run, resource and page, so a retried fetch overwrites its own staging row. */
  ref: string;
  runId: string;
  resource: string;
  pageNumber: number;
  /** The page's records as JSON text: staged once, read back by persist, never seen by the workflow. */
  recordsJson: string;
}

export interface ParentKeysQuery {
  table: string;
  field: string;
  /** Rows this run stored or confirmed; null: every row the sink holds that is not soft-deleted. */
  runId: string | null;
  afterKey: string | null;
  limit: number;
  only?: string[];
  /** Other fields of the parent record to return with each key (further placeholders in a nested path). */
  with?: string[];
}

export interface ParentKey {
  key: string;
  values: Record<string, string>;
}

/** A stored row as the integrity checks see it. */
export interface RunRow {
  key: string;
  hash: string;
  /** The page that last wrote it. */
  pageSha256: string;
  recordJson?: string;
}

/** A resource's table: its name and the fields of its primary key. */
export interface ResourceTable {
  name: string;
  primaryKey: string[];
}

export interface PersistRequest {
  ref: string;
  runId: string;
  resource: { name: string; primaryKey: string[] };
  /** Audit name of the traversal: the resource, or one partition of it. */
  traversal: string;
  pageNumber: number;
  cursorBefore: string | null;
  cursorAfter: string | null;
  sha256: string;
  /** The resource's schema: a record that fails it is quarantined instead of upserted. */
  check?: RecordCheck;
  /** Fields a record gets when it lacks them (a fanned-out child's parent key); the API's own value wins. */
  recordDefaults?: Record<string, string>;
}

export interface PersistResult {
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  /** Where the page's first quarantined record is and why (paths and messages, never values). */
  firstIssue?: string;
  /** How the page's shape departs from what the run saw before it (field names and types, never values). */
  drift: DriftFinding[];
  /** Where the persist's time went (absent when the page had been persisted before). */
  timings?: PersistTimings;
}

/** Milliseconds per step of a persist: a handful of numbers, cheap to carry in the activity's result. */
export interface PersistTimings {
  /** Taking the page out of staging and parsing it. */
  readMs: number;
  /** Keying, hashing and checking each record. */
  keyMs: number;
  /** The page's shape against the run's (drift). */
  shapeMs: number;
  /** The bulk load and the upsert by set. */
  mergeMs: number;
  /** Quarantine, the audit row and its link in the hash chain. */
  auditMs: number;
  /** All of it, the commit and the typed view's refresh included. */
  totalMs: number;
}

/** A record set aside instead of stored: the raw record, why, and where it came from. */
export interface QuarantinedRecord {
  runId: string;
  /** The resource (table) it belongs to. */
  resource: string;
  /** The traversal that fetched it: the resource, a partition (`users/p2`) or a second pass. */
  traversal: string;
  pageNumber: number;
  /** Its position in the page, from 0. */
  recordIndex: number;
  key: string | null;
  reason: string;
  issues: RecordIssue[];
  record: unknown;
  quarantinedAt: string;
  /** The run that later stored a valid version of it, if one did. */
  readmittedRun: string | null;
}

/** A stored row with the runs that first and last saw it, and when `deletions --apply` soft-deleted it (ISO time). */
export interface StoredRow {
  key: unknown[];
  record: Record<string, unknown>;
  firstRun: string;
  lastRun: string;
  deletedAt: string | null;
}

/** A stored row as text, for readers that stream a table. */
export interface StoredRecord {
  key: string;
  recordJson: string;
  firstRun: string;
  lastRun: string;
  deletedAt: string | null;
}

export interface Sink {
  stagePage(page: StagedPage): Promise<void>;
  /** Upserts a staged page on the primary key; a page persisted twice changes nothing the second time. */
  persistPage(request: PersistRequest): Promise<PersistResult>;
  /** Whether a page of this run and resource was already persisted from this URL (the paging-loop guard). */
  wasRequested(runId: string, resource: string, url: string): Promise<boolean>;
  /** Every stored row of a resource, in key order; NoRowsYetError when nothing was ever stored for it. */
  readRows(resource: string, options?: ReadRowsOptions): Promise<StoredRow[]>;
  /** Distinct values of a parent's key field, in text order, a batch at a time: what a fan-out walks. */
  parentKeys(query: ParentKeysQuery): Promise<ParentKey[]>;
  countParentKeys(query: Omit<ParentKeysQuery, 'afterKey' | 'limit' | 'with'>): Promise<number>;
  /** Up to `limit` stored records after a key, in key order: how big tables are read without holding them. */
  readRowsAfter(resource: string, afterKey: string | null, limit: number, options?: ReadRowsOptions): Promise<StoredRecord[]>;
  readAudit(runId: string, resource: string): Promise<AuditRow[]>;
  /** Quarantined records, newest last; re-admitted ones only when asked. */
  readQuarantine(filter?: { resource?: string; includeReadmitted?: boolean }): Promise<QuarantinedRecord[]>;
  /** Runs' shapes, verdicts and seals. */
  readonly ledger: RunLedger;
  /** Rows complete traversals no longer see: flags for review, and the operator's soft delete. */
  readonly deletions: DeletionLedger;
  /** Where incremental resources start next time. */
  readonly highWater: HighWaterMarks;
  /** Every row this run stored or confirmed (its last run), ordered by key; with the record when asked. */
  readRunRows(runId: string, resource: ResourceTable, options?: { records?: boolean }): Promise<RunRow[]>;
  /** The same rows without their records, a batch at a time in key order: a run of any size is never held whole. */
  runRowBatches(runId: string, resource: ResourceTable, batchSize?: number): AsyncIterable<RunRow[]>;
  /** Which of these keys the resource table holds, or quarantine holds from this run. */
  knownKeys(runId: string, resource: ResourceTable, keys: string[]): Promise<Set<string>>;
  /** Makes this writer the table's owner, or refuses it if another spec owns the table (sinks/table-owners.ts). */
  claimTable(claim: TableClaim): Promise<void>;
  /** Rows this run's audit (`audit`, as readRunAudit gives it) says it stored that the sink no longer holds, and pages gone from it. */
  missingAuditedRows(runId: string, resource: ResourceTable, audit: AuditRow[]): Promise<MissingAuditedRows>;
  /** Every audit row of a resource in a run, over all its traversals (partitions, passes, restarts). */
  readRunAudit(runId: string, resource: string): Promise<AuditRow[]>;
  close(): Promise<void>;
}

export interface AuditRow {
  runId: string;
  resource: string;
  pageNumber: number;
  cursorBefore: string | null;
  cursorAfter: string | null;
  recordCount: number;
  sha256: string;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
  fingerprint: string | null;
  drift: string | null;
  rowsDigest: string | null;
  chainLink: string | null;
}
