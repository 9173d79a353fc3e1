import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import type { RunReport } from '../../src/workflows/report';
import { startHarness, type Harness } from '../helpers/harness';
import { queryRows } from '../helpers/postgres';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { duckQuery as duck } from '../helpers/duckdb';

const TASK_QUEUE = 'consumer-views-test';
const USERS = 400;
const ROOT = join(__dirname, '..', '..');
const LMS_EXPORT = join(ROOT, 'bin', 'lms-export.js');

let harness: Harness;
let dir: string;
let runs = 0;

beforeAll(async () => {
  // The harness worker lets go of an idle DuckDB file sooner than the default, so the CLI steps follow quickly.
  process.env['LMS_EXPORT_DUCKDB_IDLE_RELEASE_MS'] = '300';
  harness = await startHarness(TASK_QUEUE, { users: USERS });
  dir = mkdtempSync(join(tmpdir(), 'lms-consumer-views-'));
});

afterAll(async () => {
  await harness?.stop();
  delete process.env['LMS_EXPORT_DUCKDB_IDLE_RELEASE_MS'];
});

async function run(spec: ExportSpecInput): Promise<RunReport> {
  runs += 1;
  return waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE, workflowId: `consumer-views-${runs}` }));
}

async function cli(...args: string[]): Promise<string> {
  return (await promisify(execFile)(process.execPath, [LMS_EXPORT, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;
}

function specFile(spec: ExportSpecInput): string {
  const file = join(dir, `${spec.name}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

/** SQL on a sink's DuckDB file from another process, once the idle worker has let go of it. */
async function duckSinkQuery(path: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const script = `const { DuckDBInstance } = require('@duckdb/node-api');
    (async () => { const i = await DuckDBInstance.create(${JSON.stringify(path)}); const c = await i.connect();
      const rows = (await c.runAndReadAll(${JSON.stringify(sql)})).getRowObjectsJS();
      console.log(JSON.stringify(rows, (k, v) => (typeof v === 'bigint' ? Number(v) : v))); c.closeSync(); i.closeSync(); })()
      .catch((e) => { console.error(e.message); process.exit(3); });`;
  return waitFor(`DuckDB file ${path} to be readable`, () =>
    new Promise<Array<Record<string, unknown>> | undefined>((resolve) => {
      const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('exit', (code) => resolve(code === 0 ? (JSON.parse(out) as Array<Record<string, unknown>>) : undefined));
    }),
  20_000);
}

describe('what consumers read', () => {
  it('carries _deleted_at into dump, JSON Lines, CSV and Parquet after deletions --apply, and --exclude-deleted leaves those rows out', async () => {
    const spec = simulatorSpec('consumers-duck', harness.simulator.url, { kind: 'duckdb', path: join(dir, 'consumers.duckdb') });
    const file = specFile(spec);
    await run(spec);
    const gone = harness.simulator.data.list('users').slice(20, 24).map((r) => r.id).sort((a, b) => a - b);
    for (const id of gone) harness.simulator.data.delete('users', id);
    assert.equal((await run(spec)).resources[0]?.deletionScan?.outcome, 'flagged');
    assert.match(await cli('deletions', file, '--apply'), /applied: 4 row\(s\) of users soft-deleted/);

    const dumped = (await cli('dump', file, 'users')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(dumped.length, USERS);
    const deletedIds = (rows: Array<Record<string, unknown>>): number[] => rows.filter((r) => r['_deleted_at'] !== null).map((r) => Number(r['id'])).sort((a, b) => a - b);
    assert.deepEqual(deletedIds(dumped), gone);
    const sample = dumped.find((r) => r['id'] === gone[0]);
    assert.match(String(sample?.['_deleted_at']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(typeof sample?.['_first_run'] === 'string' && typeof sample?.['_last_run'] === 'string' && sample['_first_run'] === sample['_last_run']);
    assert.equal((await cli('dump', file, 'users', '--exclude-deleted')).trim().split('\n').length, USERS - gone.length);

    for (const format of ['jsonl', 'csv', 'parquet'] as const) {
      const out = join(dir, `users.${format}`);
      await cli('export-file', file, 'users', '--format', format, '--out', out);
      const reader = format === 'jsonl' ? `read_json('${out}')` : format === 'csv' ? `read_csv('${out}', header = true)` : `read_parquet('${out}')`;
      const flagged = await duck(`SELECT id FROM ${reader} WHERE _deleted_at IS NOT NULL ORDER BY id`);
      assert.deepEqual(flagged.map((r) => r['id']), gone, format);
      const [{ n } = {}] = await duck(`SELECT count(*) AS n FROM ${reader}`);
      assert.equal(n, USERS, format);

      const kept = join(dir, `kept.${format}`);
      await cli('export-file', file, 'users', '--format', format, '--out', kept, '--exclude-deleted');
      const keptReader = reader.replace(out, kept);
      const [{ n: keptRows, deleted } = {}] = await duck(`SELECT count(*) AS n, count(_deleted_at) AS deleted FROM ${keptReader}`);
      assert.deepEqual([keptRows, deleted], [USERS - gone.length, 0], format);
    }
    const [parquetType] = await duck(`SELECT column_type FROM (DESCRIBE SELECT * FROM read_parquet('${join(dir, 'users.parquet')}')) WHERE column_name = '_deleted_at'`);
    assert.equal(parquetType?.['column_type'], 'TIMESTAMP');
    assert.match(readFileSync(join(dir, 'users.jsonl'), 'utf8').split('\n')[0] ?? '', /"_first_run":"[^"]+","_last_run":"[^"]+","_deleted_at":/);
  }, TEST_TIMEOUT_MS);

  it('builds a typed view users_v in DuckDB with the table\'s row count and typed columns', async () => {
    const path = join(dir, 'view.duckdb');
    await run(simulatorSpec('view-duck', harness.simulator.url, { kind: 'duckdb', path }));
    const [counts] = await duckSinkQuery(path, 'SELECT (SELECT count(*) FROM users) AS rows, (SELECT count(*) FROM users_v) AS view_rows');
    assert.ok(Number(counts?.['rows']) > 0);
    assert.equal(counts?.['view_rows'], counts?.['rows']);
    const columns = await duckSinkQuery(path, 'DESCRIBE users_v');
    const typeOf = Object.fromEntries(columns.map((c) => [c['column_name'], c['column_type']]));
    assert.deepEqual([typeOf['_key'], typeOf['id'], typeOf['name'], typeOf['email'], typeOf['_deleted_at']], ['VARCHAR', 'BIGINT', 'VARCHAR', 'VARCHAR', 'TIMESTAMP']);
    const [one] = await duckSinkQuery(path, 'SELECT id, name FROM users_v WHERE id = 7');
    assert.equal(one?.['name'], harness.simulator.data.list('users').find((r) => r.id === 7)?.['name']);
  }, TEST_TIMEOUT_MS);

  it('builds the same typed view in PostgreSQL', async () => {
    await run(simulatorSpec('view-pg', harness.simulator.url, { kind: 'postgres', url: harness.db.url, schema: 'view_pg' }));
    const [counts] = await queryRows<{ rows: string; view_rows: string }>(harness.db.url, 'SELECT (SELECT count(*) FROM view_pg.users) AS rows, (SELECT count(*) FROM view_pg.users_v) AS view_rows');
    assert.ok(Number(counts?.rows) > 0);
    assert.equal(counts?.view_rows, counts?.rows);
    const columns = await queryRows<{ column_name: string; data_type: string }>(
      harness.db.url,
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'view_pg' AND table_name = 'users_v'`,
    );
    const typeOf = Object.fromEntries(columns.map((c) => [c.column_name, c.data_type]));
    assert.deepEqual([typeOf['id'], typeOf['name'], typeOf['email'], typeOf['_deleted_at']], ['bigint', 'text', 'text', 'timestamp without time zone']);
    const [one] = await queryRows<{ id: string; name: string }>(harness.db.url, 'SELECT id, name FROM view_pg.users_v WHERE id = 7');
    assert.equal(one?.name, harness.simulator.data.list('users').find((r) => r.id === 7)?.['name']);
  }, TEST_TIMEOUT_MS);
});
