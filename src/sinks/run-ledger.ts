import type { Fingerprint } from '../integrity/fingerprint';
import { mergeFingerprints } from '../integrity/fingerprint';
import { once } from './once';
import type { SqlDriver, SqlExecutor, SqlValue } from './sql-driver';

const FINGERPRINTS = '_lms_fingerprints';
const RUNS = '_lms_runs';

/** What a run concluded about one resource: written once the completeness checks ran. */
export interface RunRecord {
  runId: string;
  resource: string;
  verdict: string;
  /** The completeness findings, as JSON (see integrity/verdict.ts). */
  findings: unknown;
  fingerprint: Fingerprint;
  startCursor: string | null;
  endCursor: string | null;
  /** The seal over the resource's audit chains and stored rows (integrity/audit-chain.ts). */
  seal: string;
  rowsDigest: string;
  storedRows: number;
  /** When the sink recorded it (set by the sink; ignored on write). */
  assessedAt?: string;
}

/**
 * The sink's record of runs: each traversal's shape so far (for drift within a run) and each run's verdict,
 * shape and seal (for drift against the last run, for `verify`, and — later — for deletion detection, which
 * may only compare runs whose verdict was complete).
 */
export class RunLedger {
  constructor(
    private readonly db: SqlDriver,
    /** Told once a run's verdict on a resource is recorded (the typed view is rebuilt then). */
    private readonly afterRun: (resource: string) => Promise<void> = async () => undefined,
  ) {}

  readonly ensureTables = once(async (): Promise<void> => {
    await this.db.transaction(async (tx) => {
      await tx.query(`CREATE TABLE IF NOT EXISTS ${this.db.table(FINGERPRINTS)} (run_id VARCHAR NOT NULL, resource VARCHAR NOT NULL,
        traversal VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL, PRIMARY KEY (run_id, traversal))`);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${this.db.table(RUNS)} (run_id VARCHAR NOT NULL, resource VARCHAR NOT NULL,
        verdict VARCHAR NOT NULL, findings VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL, start_cursor VARCHAR, end_cursor VARCHAR,
        seal VARCHAR NOT NULL, rows_digest VARCHAR NOT NULL, stored_rows INTEGER NOT NULL, assessed_at TIMESTAMP NOT NULL,
        PRIMARY KEY (run_id, resource))`);
    });
  });

  /** The shape this run has seen so far for a resource, over all its traversals. */
  async knownFingerprint(tx: SqlExecutor, runId: string, resource: string): Promise<{ all: Fingerprint; own: (traversal: string) => Fingerprint }> {
    const rows = await tx.query(`SELECT traversal, fingerprint FROM ${this.db.table(FINGERPRINTS)} WHERE run_id = $1 AND resource = $2`, [runId, resource]);
    const byTraversal = new Map(rows.map((r) => [String(r['traversal']), JSON.parse(String(r['fingerprint'])) as Fingerprint]));
    const all = [...byTraversal.values()].reduce(mergeFingerprints, {});
    return { all, own: (traversal) => byTraversal.get(traversal) ?? {} };
  }

  async saveFingerprint(tx: SqlExecutor, runId: string, resource: string, traversal: string, fingerprint: Fingerprint): Promise<void> {
    await tx.query(
      `INSERT INTO ${this.db.table(FINGERPRINTS)} (run_id, resource, traversal, fingerprint) VALUES ($1, $2, $3, $4)
       ON CONFLICT (run_id, traversal) DO UPDATE SET fingerprint = excluded.fingerprint`,
      [runId, resource, traversal, JSON.stringify(fingerprint)],
    );
  }

  async runFingerprint(runId: string, resource: string): Promise<Fingerprint> {
    await this.ensureTables();
    return (await this.knownFingerprint(this.db, runId, resource)).all;
  }

  async recordRun(run: RunRecord): Promise<void> {
    await this.ensureTables();
    const params: SqlValue[] = [run.runId, run.resource, run.verdict, JSON.stringify(run.findings), JSON.stringify(run.fingerprint),
      run.startCursor, run.endCursor, run.seal, run.rowsDigest, run.storedRows];
    await this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM ${this.db.table(RUNS)} WHERE run_id = $1 AND resource = $2`, [run.runId, run.resource]);
      await tx.query(
        `INSERT INTO ${this.db.table(RUNS)} (run_id, resource, verdict, findings, fingerprint, start_cursor, end_cursor, seal,
           rows_digest, stored_rows, assessed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CURRENT_TIMESTAMP)`,
        params,
      );
    });
    await this.afterRun(run.resource);
  }

  /** The most recent assessed run of a resource other than `exceptRunId`. */
  async lastRun(resource: string, exceptRunId: string): Promise<RunRecord | undefined> {
    await this.ensureTables();
    const rows = await this.db.query(
      `SELECT * FROM ${this.db.table(RUNS)} WHERE resource = $1 AND run_id <> $2 ORDER BY assessed_at DESC LIMIT 1`,
      [resource, exceptRunId],
    );
    return rows[0] === undefined ? undefined : runRecordOf(rows[0]);
  }

  async runs(runId: string): Promise<RunRecord[]> {
    await this.ensureTables();
    const rows = await this.db.query(`SELECT * FROM ${this.db.table(RUNS)} WHERE run_id = $1 ORDER BY resource`, [runId]);
    return rows.map(runRecordOf);
  }
}

function runRecordOf(row: Record<string, unknown>): RunRecord {
  return {
    runId: String(row['run_id']),
    resource: String(row['resource']),
    verdict: String(row['verdict']),
    findings: JSON.parse(String(row['findings'])) as unknown,
    fingerprint: JSON.parse(String(row['fingerprint'])) as Fingerprint,
    startCursor: (row['start_cursor'] as string | null) ?? null,
    endCursor: (row['end_cursor'] as string | null) ?? null,
    seal: String(row['seal']),
    rowsDigest: String(row['rows_digest']),
    storedRows: Number(row['stored_rows']),
    assessedAt: new Date(String(row['assessed_at'])).toISOString(),
  };
}
