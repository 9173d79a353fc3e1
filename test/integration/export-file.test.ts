import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { exportFile } from '../../src/cli/export-file';
import { startExport, waitForReport } from '../../src/client/exports';
import { startHarness, type Harness } from '../helpers/harness';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';
import { duckQuery as readBack } from '../helpers/duckdb';

const TASK_QUEUE = 'export-file-test';
const USERS = 10_000;
const LMS_EXPORT = join(__dirname, '..', '..', 'bin', 'lms-export.js');

let harness: Harness;
let dir: string;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: USERS });
  dir = mkdtempSync(join(tmpdir(), 'lms-export-file-'));
});

afterAll(async () => {
  await harness?.stop();
});

describe('export files', () => {
  it('writes a 10,000-row resource from PostgreSQL to Parquet that reads back with the same rows and keys', async () => {
    const spec = simulatorSpec('to-parquet', harness.simulator.url, { kind: 'postgres', url: harness.db.url, schema: 'to_parquet' });
    const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
    assert.equal(report.status, 'completed');
    const file = join(dir, 'spec.json');
    writeFileSync(file, JSON.stringify(spec));
    const out = join(dir, 'users.parquet');
    const { stdout } = await promisify(execFile)(process.execPath, [LMS_EXPORT, 'export-file', file, 'users', '--format', 'parquet', '--out', out]);
    assert.match(stdout, /wrote 10000 rows of users to .*users\.parquet/);

    const [count] = await readBack(`SELECT count(*) AS n, count(DISTINCT id) AS ids, min(id) AS lo, max(id) AS hi FROM read_parquet('${out}')`);
    assert.deepEqual(count, { n: 10_000, ids: 10_000, lo: 1, hi: 10_000 });
    const truth = harness.simulator.truth('/api/v1/accounts/1/users');
    const [row] = await readBack(`SELECT id, name, email FROM read_parquet('${out}') WHERE id = 4242`);
    const expected = truth.find((r) => r.id === 4242);
    assert.deepEqual(row, { id: 4242, name: expected?.['name'], email: expected?.['email'] });
  }, TEST_TIMEOUT_MS);

  it('writes CSV and JSON Lines from a DuckDB sink', async () => {
    const spec = simulatorSpec('to-csv', harness.simulator.url, { kind: 'duckdb', path: join(dir, 'sink.duckdb') });
    const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
    assert.equal(report.status, 'completed');
    // The worker holds the DuckDB file (one writer process): write through its open sink.
    const sink = await harness.worker.sinks.get(spec.sink as never);
    const csv = await exportFile(sink, 'users', 'csv', join(dir, 'users.csv'));
    assert.equal(csv.rows, USERS);
    const [counted] = await readBack(`SELECT count(*) AS n, count(DISTINCT id) AS ids FROM read_csv('${csv.path}', header = true)`);
    assert.deepEqual(counted, { n: USERS, ids: USERS });

    const jsonl = await exportFile(sink, 'users', 'jsonl', join(dir, 'users.jsonl'));
    const lines = readFileSync(jsonl.path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { id: number });
    assert.equal(lines.length, USERS);
    assert.deepEqual(new Set(lines.map((r) => r.id)).size, USERS);
  }, TEST_TIMEOUT_MS);
});
