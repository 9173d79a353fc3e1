import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import type { Row } from '../../src/simulator/dataset';
import { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import type { RunReport } from '../../src/workflows/report';
import { queryRows } from '../helpers/postgres';
import { startHarness, type Harness } from '../helpers/harness';
import { simulatorSpec, TOKEN_ENV } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

const TASK_QUEUE = 'deletions-test';
const LMS_EXPORT = join(__dirname, '..', '..', 'bin', 'lms-export.js');

let harness: Harness;
let dir: string;
let runs = 0;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 1_000 });
  dir = mkdtempSync(join(tmpdir(), 'lms-deletions-'));
});

afterAll(async () => {
  await harness?.stop();
});

async function run(spec: ExportSpecInput): Promise<RunReport> {
  runs += 1;
  return waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE, workflowId: `deletions-${runs}` }));
}

function flaggedIds(schema: string, resource = 'users'): Promise<number[]> {
  return queryRows<{ record_key: string }>(harness.db.url, `SELECT record_key FROM ${schema}._lms_deletions WHERE resource = $1 AND status = 'flagged'`, [resource]).then((rows) =>
    rows.map((r) => Number((JSON.parse(r.record_key) as string[])[0])).sort((a, b) => a - b),
  );
}

describe('deletion detection', () => {
  it('flags exactly the rows deleted at the source, soft-deletes them on --apply, un-flags one restored, and refuses a mass disappearance', async () => {
    const simulator = harness.simulator;
    const spec = simulatorSpec('deletions-a', simulator.url, { kind: 'postgres', url: harness.db.url, schema: 'del_a' });
    const first = await run(spec);
    assert.deepEqual(first.resources[0]?.deletionScan, { outcome: 'flagged', missing: 0, newlyFlagged: 0, unflagged: 0, liveRows: 1_000, detail: '0 rows not seen by this complete traversal are flagged for review' });

    // 37 students leave between two nightly runs.
    const gone: Row[] = simulator.data.list('users').filter((r) => r.id % 27 === 5).slice(0, 37).map((r) => ({ ...r }));
    assert.equal(gone.length, 37);
    for (const row of gone) simulator.data.delete('users', row.id);
    const second = await run(spec);
    assert.equal(second.resources[0]?.completeness?.verdict, 'complete');
    assert.equal(second.resources[0]?.deletionScan?.outcome, 'flagged');
    assert.deepEqual(await flaggedIds('del_a'), gone.map((r) => r.id));

    const file = join(dir, 'a.json');
    writeFileSync(file, JSON.stringify(spec));
    const applied = await promisify(execFile)(process.execPath, [LMS_EXPORT, 'deletions', file, '--apply']);
    assert.match(applied.stdout, /^37 row\(s\) flagged as deleted at the source\n {2}users key \["\d+"\]: last seen by run \S+ at .*; flagged by run \S+/);
    assert.match(applied.stdout, /applied: 37 row\(s\) of users soft-deleted \(_deleted_at set\)$/m);
    const softDeleted = await queryRows<{ id: string }>(harness.db.url, 'SELECT id FROM del_a.users WHERE _deleted_at IS NOT NULL ORDER BY id::int');
    assert.deepEqual(softDeleted.map((r) => Number(r.id)), gone.map((r) => r.id));
    const [stillThere] = await queryRows<{ n: string }>(harness.db.url, 'SELECT count(*) AS n FROM del_a.users');
    assert.equal(Number(stillThere?.n), 1_000, 'soft delete: no row is removed');
    const actions = await queryRows<{ action: string; records: number }>(harness.db.url, 'SELECT action, records FROM del_a._lms_actions');
    assert.deepEqual(actions, [{ action: 'apply-deletions', records: 37 }]);

    // One comes back (re-enrolled): seen again, un-flagged, undeleted.
    const back = gone[3] as Row;
    simulator.data.restore('users', back);
    const third = await run(spec);
    assert.deepEqual(
      third.resources[0]?.deletionScan && 'unflagged' in third.resources[0].deletionScan ? [third.resources[0].deletionScan.unflagged, third.resources[0].deletionScan.newlyFlagged] : [],
      [1, 0],
    );
    const restored = await queryRows<{ status: string; deleted: boolean }>(
      harness.db.url,
      `SELECT d.status, u._deleted_at IS NOT NULL AS deleted FROM del_a._lms_deletions d JOIN del_a.users u ON u._key = d.record_key WHERE u.id = $1`,
      [String(back.id)],
    );
    assert.deepEqual(restored, [{ status: 'restored', deleted: false }]);

    // A tenth of the roster vanishing at once is a broken source far more often than a real exodus.
    for (const row of simulator.data.list('users').slice(0, 100)) simulator.data.delete('users', row.id);
    const fourth = await run(spec);
    assert.equal(fourth.resources[0]?.deletionScan?.outcome, 'anomaly');
    assert.match(fourth.resources[0]?.deletionScan?.detail ?? '', /^100 of 964 rows \(10\.4%\) were not seen, over the cap of 5\.0%: nothing flagged$/);
    assert.deepEqual(await flaggedIds('del_a'), []);
  }, TEST_TIMEOUT_MS);

  it('does the same in a DuckDB sink', async () => {
    const simulator = new LmsSimulator({ users: 400 });
    await simulator.start();
    try {
      const spec = simulatorSpec('deletions-duck', simulator.url, { kind: 'duckdb', path: join(dir, 'deletions.duckdb') });
      await run(spec);
      const gone = simulator.data.list('users').slice(10, 13).map((r) => ({ ...r }));
      for (const row of gone) simulator.data.delete('users', row.id);
      assert.equal((await run(spec)).resources[0]?.deletionScan?.outcome, 'flagged');
      // The worker holds the DuckDB file (one process per file): act through its open sink.
      const sink = await harness.worker.sinks.get(spec.sink as never);
      assert.deepEqual((await sink.deletions.list({ status: 'flagged' })).map((f) => f.key), gone.map((r) => JSON.stringify([String(r.id)])));
      assert.equal(await sink.deletions.apply({ name: 'users', primaryKey: ['id'] }, 'test'), 3);
      simulator.data.restore('users', gone[0] as Row);
      const third = await run(spec);
      assert.ok(third.resources[0]?.deletionScan && 'unflagged' in third.resources[0].deletionScan && third.resources[0].deletionScan.unflagged === 1);
      assert.deepEqual((await sink.deletions.list({ status: 'applied' })).length, 2);
      assert.deepEqual((await sink.deletions.list({ status: 'restored' })).map((f) => f.key), [JSON.stringify([String(gone[0]?.id)])]);
    } finally {
      await simulator.stop();
    }
  }, TEST_TIMEOUT_MS);

  it('flags nothing after an incomplete traversal', async () => {
    const whole = new LmsSimulator({ users: 3_000 });
    const dropping = new LmsSimulator({ users: 3_000, dropPageAfterPages: 2 });
    const edfi = (simulator: LmsSimulator): ExportSpecInput => ({
      name: 'deletions-b',
      source: { preset: 'edfi', baseUrl: `${simulator.url}/data/v3`, auth: { bearerTokenEnv: TOKEN_ENV } },
      resources: [{ name: 'students', path: '/ed-fi/students', primaryKey: ['id'], pageSize: 500 }],
      sink: { kind: 'postgres', url: harness.db.url, schema: 'del_b' },
    });
    for (const simulator of [whole, dropping]) await simulator.start();
    try {
      assert.equal((await run(edfi(whole))).status, 'completed');
      const short = await run(edfi(dropping));
      assert.equal(short.status, 'incomplete');
      assert.deepEqual(short.resources[0]?.deletionScan, { outcome: 'skipped', detail: 'the traversal was incomplete: nothing is flagged after an incomplete traversal' });
      assert.deepEqual(await flaggedIds('del_b', 'students'), []);
    } finally {
      for (const simulator of [whole, dropping]) await simulator.stop();
    }
  }, TEST_TIMEOUT_MS);

  it('keeps its own cadence: with every 24h, the next hourly run skips the scan and says so', async () => {
    const spec = simulatorSpec('deletions-c', harness.simulator.url, { kind: 'postgres', url: harness.db.url, schema: 'del_c' }, {
      resources: [{ name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 100, deletionScan: { every: '24h' } }],
    });
    assert.equal((await run(spec)).resources[0]?.deletionScan?.outcome, 'flagged');
    const next = await run(spec);
    assert.equal(next.resources[0]?.deletionScan?.outcome, 'skipped');
    assert.match(next.resources[0]?.deletionScan?.detail ?? '', /^the last deletion scan was \d+ s ago; it runs every 24\.0 h$/);
  }, TEST_TIMEOUT_MS);
});
