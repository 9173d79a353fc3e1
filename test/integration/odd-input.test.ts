import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { exportFile } from '../../src/cli/export-file';
import { startExport, waitForReport } from '../../src/client/exports';
import { formatReport } from '../../src/cli/format-report';
import { verifyRun } from '../../src/cli/verify-run';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { startHarness, type Harness } from '../helpers/harness';
import { queryRows } from '../helpers/postgres';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

const TASK_QUEUE = 'odd-input-test';
const BIG_IDS = ['9007199254740993', '9007199254740992', '9007199254740995', '9007199254740996', '12345678901234567890', '12345678901234567891'];

/** A record nested `levels` deep. */
const nested = (levels: number): string => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

/** Each path's whole body (one page: no Link header), as raw bytes so a test can send what is not UTF-8. */
const BODIES: Record<string, Buffer> = {
  '/big': Buffer.from(`[${BIG_IDS.map((id) => `{"id":${id},"name":"user ${id}"}`).join(',')}]`),
  '/typed': Buffer.from('[{"id":1,"name":"number one"},{"id":"1","name":"string one"},{"id":2,"name":"two"}]'),
  '/utf8': Buffer.concat([Buffer.from('[{"id":1,"name":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"},{"id":2,"name":"ok"}]')]),
  '/hostile': Buffer.from(`[{"id":1,"name":"fine"},{"id":2,"deep":${nested(100_000)}},{"id":3,"name":"a\\ud800b"},{"id":4,"note":"x\\u0000y"},{"id":5,"name":"also fine"}]`),
  '/deep-big': Buffer.from(`[{"id":12345678901234567890,"deep":${nested(100_000)}}]`),
};

/** A resource over one path; quarantined records are what the tests look at, so they never fail the resource. */
function resource(name: string): ExportSpecInput['resources'][number] {
  return { name, path: `/${name.replace('_', '-')}`, primaryKey: ['id'], pagination: { type: 'link-header' }, maxInvalidRatio: 1 };
}

describe('nothing lost on odd input', () => {
  let harness: Harness;
  let server: Server;
  let baseUrl = '';
  let dir = '';
  beforeAll(async () => {
    harness = await startHarness(TASK_QUEUE, { users: 1 });
    dir = mkdtempSync(join(tmpdir(), 'lms-odd-input-'));
    server = createServer((req, res) => {
      const body = BODIES[new URL(req.url ?? '/', 'http://x').pathname];
      if (body === undefined) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"no such path"}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await harness?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(name: string, sink: ExportSpecInput['sink'], resources: string[]) {
    const spec: ExportSpecInput = { name, source: { baseUrl }, resources: resources.map(resource), sink, execution: { activityTimeoutSeconds: 10, maxAttempts: 2 } };
    const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
    return { spec, report, text: formatReport(report) };
  }

  it('keeps six ids above 2^53 as six rows with their digits, on PostgreSQL', async () => {
    const { spec, report, text } = await run('big-ids-pg', { kind: 'postgres', url: harness.db.url, schema: 'big_ids' }, ['big']);
    assert.match(text, /big: completed — 1 pages, 6 records fetched; 6 inserted, 0 updated, 0 unchanged, 0 quarantined/);
    assert.match(text, /verdict: complete/);
    const rows = await queryRows<{ id: string; record_id: string; view_id: string }>(
      harness.db.url,
      `SELECT t.id, t._record->>'id' AS record_id, v.id::text AS view_id FROM big_ids.big t JOIN big_ids.big_v v USING (_key) ORDER BY t._key`,
    );
    assert.deepEqual(rows.map((r) => r.id).sort(), [...BIG_IDS].sort());
    assert.ok(rows.every((r) => r.record_id === r.id && r.view_id === r.id), JSON.stringify(rows));
    const sink = await harness.worker.sinks.get(spec.sink as never);
    const verification = await verifyRun(sink, report.runId, new Map([['big', ['id']]]));
    assert.equal(verification.holds, true, JSON.stringify(verification));
    const jsonl = await exportFile(sink, 'big', 'jsonl', join(dir, 'big.jsonl'));
    const lines = readFileSync(jsonl.path, 'utf8').trim().split('\n');
    assert.deepEqual(lines.map((line) => /"id":(\d+)/.exec(line)?.[1]).sort(), [...BIG_IDS].sort());
  }, TEST_TIMEOUT_MS);

  it('keeps six ids above 2^53 as six rows with their digits, on DuckDB, and quarantines what it cannot hold', async () => {
    const { spec, report, text } = await run('big-ids-duckdb', { kind: 'duckdb', path: join(dir, 'odd.duckdb') }, ['big', 'hostile']);
    assert.match(text, /big: completed — 1 pages, 6 records fetched; 6 inserted, 0 updated, 0 unchanged, 0 quarantined/);
    // DuckDB stores U+0000; a lone surrogate and a 100,000-deep record it cannot.
    assert.match(text, /hostile: completed — 1 pages, 5 records fetched; 3 inserted, 0 updated, 0 unchanged, 2 quarantined/);
    const sink = await harness.worker.sinks.get(spec.sink as never);
    const rows = await sink.readRows('big');
    assert.deepEqual(rows.map((r) => String(r.record['id'])).sort(), [...BIG_IDS].sort());
    const parquet = await exportFile(sink, 'big', 'csv', join(dir, 'big.csv'));
    const csv = readFileSync(parquet.path, 'utf8');
    for (const id of BIG_IDS) assert.ok(csv.includes(id), `${id} in ${csv}`);
    const verification = await verifyRun(sink, report.runId, new Map([['big', ['id']], ['hostile', ['id']]]));
    assert.equal(verification.holds, true, JSON.stringify(verification));
  }, TEST_TIMEOUT_MS);

  it('quarantines a key of another JSON type instead of merging "1" into 1, naming the field and both types', async () => {
    const { text } = await run('typed-keys', { kind: 'postgres', url: harness.db.url, schema: 'typed_keys' }, ['typed']);
    assert.match(text, /typed: completed — 1 pages, 3 records fetched; 2 inserted, 0 updated, 0 unchanged, 1 quarantined/);
    assert.match(text, /first invalid record: page 1, record 2: id: a string \("1"\) where this resource's keys are numbers; keys keep their JSON type/);
    const rows = await queryRows<{ name: string }>(harness.db.url, `SELECT _record->>'name' AS name FROM typed_keys.typed ORDER BY _key`);
    assert.deepEqual(rows.map((r) => r.name), ['number one', 'two']);
    const types = await queryRows(harness.db.url, 'SELECT resource_table, field, json_type FROM typed_keys._lms_key_types');
    assert.deepEqual(types, [{ resource_table: 'typed', field: 'id', json_type: 'number' }]);
  }, TEST_TIMEOUT_MS);

  it('stores invalid UTF-8 as U+FFFD and says so in the report', async () => {
    const { report, text } = await run('bad-utf8', { kind: 'postgres', url: harness.db.url, schema: 'bad_utf8' }, ['utf8']);
    assert.match(text, /utf8: completed — 1 pages, 2 records fetched; 2 inserted/);
    assert.match(text, /repaired: 1 page\(s\) held bytes that are not UTF-8, stored as U\+FFFD/);
    assert.doesNotMatch(text, /retried:/);
    assert.equal(report.resources[0]?.waits.retries['InvalidUtf8Repaired'], 1);
    const rows = await queryRows<{ name: string }>(harness.db.url, `SELECT _record->>'name' AS name FROM bad_utf8.utf8 ORDER BY _key`);
    assert.deepEqual(rows.map((r) => r.name), ['caf\ufffd(', 'ok']);
  }, TEST_TIMEOUT_MS);

  it('quarantines a 100,000-deep record, a lone surrogate and U+0000 on PostgreSQL, with reasons, and stores the rest', async () => {
    const { spec, text } = await run('hostile-pg', { kind: 'postgres', url: harness.db.url, schema: 'hostile_pg' }, ['hostile']);
    assert.match(text, /hostile: completed — 1 pages, 5 records fetched; 2 inserted, 0 updated, 0 unchanged, 3 quarantined/);
    assert.match(text, /first invalid record: page 1, record 2: \(record\): record nests deeper than 1,000 levels/);
    const rows = await queryRows<{ id: string }>(harness.db.url, 'SELECT id FROM hostile_pg.hostile ORDER BY _key');
    assert.deepEqual(rows.map((r) => r.id), ['1', '5']);
    const sink = await harness.worker.sinks.get(spec.sink as never);
    const quarantined = await sink.readQuarantine({ resource: 'hostile' });
    assert.deepEqual(quarantined.map((q) => [q.recordIndex, q.reason]), [
      [1, '(record): record nests deeper than 1,000 levels'],
      [2, 'name: string contains a lone surrogate (\\ud800), which PostgreSQL cannot store and DuckDB cannot read as JSON'],
      [3, 'note: string contains U+0000 (\\u0000), which PostgreSQL cannot store'],
    ]);
  }, TEST_TIMEOUT_MS);

  it('fails a 100,000-deep page holding ids above 2^53 at once, naming the page, instead of overflowing the stack', async () => {
    const { report } = await run('deep-big', { kind: 'postgres', url: harness.db.url, schema: 'deep_big' }, ['deep_big']);
    const failed = report.resources[0];
    assert.equal(failed?.status, 'failed');
    assert.match(failed?.error ?? '', /resource deep_big: GET \/deep-big: the JSON nests too deep to read with its integers beyond 2\^53 intact/);
    assert.doesNotMatch(failed?.error ?? '', /call stack/);
  }, TEST_TIMEOUT_MS);
});
