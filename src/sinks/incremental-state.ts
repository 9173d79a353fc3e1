import type { ResourceConfig, SinkConfig } from '../spec/export-spec';
import type { HighWaterMark } from './high-water';
import { openDriver, type OpenSinkOptions } from './open-sink';
import type { Sink } from './sink';
import type { SqlDriver } from './sql-driver';
import { SqlSink } from './sql-sink';

// Tables other ledgers own (run-ledger.ts, deletion-ledger.ts); read here, and `_lms_actions` written, by name.
const RUNS = '_lms_runs';
const SCANS = '_lms_deletion_scans';
const ACTIONS = '_lms_actions';

/** The action name `state reset` records in `_lms_actions`. */
export const RESET_ACTION = 'reset-incremental-state';

/** What decides how a resource's next run starts, and what the last runs concluded. */
export interface ResourceState {
  resource: string;
  /** The spec's `incremental.cursorField`, or null when every run of the resource is a full traversal. */
  cursorField: string | null;
  /** Where the next incremental run starts (less the overlap); null: the next run traverses everything. */
  highWater: (HighWaterMark & { savedAt: string }) | null;
  /** The newest run whose completeness verdict was complete (or complete with drift). */
  lastCompleteRun: { runId: string; verdict: string; storedRows: number; assessedAt: string } | null;
  lastDeletionScan: { runId: string; outcome: string; detail: string; scannedAt: string } | null;
  /** Whether the next run of this spec (without --full) reads only what changed. */
  nextRunIncremental: boolean;
}

export interface ResetOutcome {
  resource: string;
  /** The mark that was forgotten, if there was one. */
  cleared: (HighWaterMark & { savedAt: string }) | null;
  actedBy: string;
}

/**
 * A resource's incremental state in the sink, for the operator: shown by `lms-export state`, cleared by
 * `lms-export state reset`. The high-water mark is the only thing that makes a run incremental (exportRun reads
 * it at the start of each resource), so clearing it makes the next run a full traversal — and with it a
 * deletion scan again. Every reset is recorded in `_lms_actions` beside `deletions --apply`.
 */
export class IncrementalState {
  private constructor(
    private readonly db: SqlDriver,
    private readonly sink: Sink,
  ) {}

  /** Opens the spec's sink the way openSink does, keeping the driver for the ledgers' tables. */
  static async open(config: SinkConfig, options: OpenSinkOptions = {}): Promise<IncrementalState> {
    const db = await openDriver(config, options);
    return new IncrementalState(db, new SqlSink(db));
  }

  async read(resource: ResourceConfig): Promise<ResourceState> {
    const cursorField = resource.incremental?.cursorField ?? null;
    // These create the ledgers' tables on a sink no run has written yet, so the queries below find them.
    await this.sink.ledger.ensureTables();
    const scannedAt = await this.sink.deletions.lastScanAt(resource.name);
    const highWater = (await this.sink.highWater.stored(resource.name)) ?? null;

    const runs = await this.db.query(
      `SELECT run_id, verdict, stored_rows, assessed_at FROM ${this.db.table(RUNS)} WHERE resource = $1 AND verdict NOT LIKE 'incomplete%'
       ORDER BY assessed_at DESC LIMIT 1`,
      [resource.name],
    );
    const run = runs[0];
    const scans =
      scannedAt === undefined
        ? []
        : await this.db.query(`SELECT run_id, outcome, detail, scanned_at FROM ${this.db.table(SCANS)} WHERE resource = $1 ORDER BY scanned_at DESC LIMIT 1`, [resource.name]);
    const scan = scans[0];
    return {
      resource: resource.name,
      cursorField,
      highWater,
      lastCompleteRun:
        run === undefined
          ? null
          : { runId: String(run['run_id']), verdict: String(run['verdict']), storedRows: Number(run['stored_rows']), assessedAt: new Date(String(run['assessed_at'])).toISOString() },
      lastDeletionScan:
        scan === undefined
          ? null
          : { runId: String(scan['run_id']), outcome: String(scan['outcome']), detail: String(scan['detail']), scannedAt: new Date(String(scan['scanned_at'])).toISOString() },
      // exportRun reads the mark under the spec's cursor field: a mark saved under another field is not used.
      nextRunIncremental: cursorField !== null && resource.updateScan?.sinceParam !== undefined && highWater?.cursorField === cursorField,
    };
  }

  /** Forgets the resource's high-water mark, so its next run traverses everything, and records who did it. */
  async reset(resource: ResourceConfig, actedBy: string): Promise<ResetOutcome> {
    // Reading first creates every table the reset touches (`_lms_actions` with the deletion ledger's).
    const before = await this.read(resource);
    const cleared = before.highWater;
    const detail =
      cleared === null
        ? 'no high-water mark was stored: the next run was already a full traversal'
        : `cleared the high-water mark ${cleared.cursorField} = ${cleared.value} (saved by run ${cleared.runId}): the next run traverses everything`;
    await this.db.transaction(async (tx) => {
      await this.sink.highWater.clear(tx, resource.name);
      await tx.query(
        `INSERT INTO ${this.db.table(ACTIONS)} (action, resource, records, detail, acted_by, acted_at) VALUES ($1, $2, $3, $4, $5, CURRENT_TIMESTAMP)`,
        [RESET_ACTION, resource.name, cleared === null ? 0 : 1, detail, actedBy],
      );
    });
    return { resource: resource.name, cleared, actedBy };
  }

  close(): Promise<void> {
    return this.sink.close();
  }
}
