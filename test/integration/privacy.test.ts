import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { exportFile } from '../../src/cli/export-file';
import { startExport, waitForReport } from '../../src/client/exports';
import type { Sink } from '../../src/sinks/sink';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import type { RunReport } from '../../src/workflows/report';
import { lmsExport } from '../helpers/cli';
import { startHarness, type Harness } from '../helpers/harness';
import { queryRows } from '../helpers/postgres';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

/**
 * A resource's privacy rule keeps student data out of every table: dropped fields are nowhere in the sink, hashed
 * ones are the keyed HMAC of their value (equal across resources and runs), and the audit trail still verifies.
 */

const TASK_QUEUE = 'privacy-test';
const USERS = '/api/v1/accounts/1/users';
const KEY_ENV = 'PRIVACY_TEST_KEY';
const KEY = 'privacy-test-key-0123456789abcdef';
const RAW_EMAIL_DOMAIN = '@students.example.edu';

let harness: Harness;
let dir: string;

beforeAll(async () => {
  process.env[KEY_ENV] = KEY;
  harness = await startHarness(TASK_QUEUE, { users: 450, malformed: { rate: 0.03 } });
  dir = mkdtempSync(join(tmpdir(), 'lms-privacy-'));
});

afterAll(() => harness?.stop());

const hmac = (value: string): string => `hmac256:${createHmac('sha256', KEY).update(value).digest('hex')}`;

/** Canvas users twice: `users` drops the login and hashes email and SIS id; `students` hashes only the email. */
function privateSpec(name: string, sink: ExportSpecInput['sink'], hashKeyEnv = KEY_ENV): ExportSpecInput {
  const resource = { path: '/accounts/1/users', primaryKey: ['id'], pageSize: 100, schema: 'canvas.users' as const, maxInvalidRatio: 0.2 };
  return simulatorSpec(name, harness.simulator.url, sink, {
    resources: [
      { ...resource, name: 'users', privacy: { drop: ['login_id', 'sortable_name'], hash: ['email', 'sis_user_id'], hashKeyEnv } },
      { ...resource, name: 'students', privacy: { hash: ['email'], hashKeyEnv } },
    ],
  });
}

async function exported(spec: ExportSpecInput): Promise<RunReport> {
  const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
  assert.equal(report.status, 'completed', JSON.stringify(report.resources.map((r) => r.error)));
  return report;
}

/** Stored users are the simulator's truth with login_id and sortable_name gone and email, sis_user_id hashed. */
function assertRedactedUsers(records: Array<Record<string, unknown>>): Map<number, string> {
  const truth = new Map(harness.simulator.truth(USERS).map((row) => [row.id, row]));
  const damaged = new Set(harness.simulator.malformedRows(USERS).map((row) => row.id));
  assert.equal(records.length, truth.size - damaged.size);
  const emails = new Map<number, string>();
  for (const record of records) {
    const served = truth.get(Number(record['id']));
    assert.ok(!('login_id' in record) && !('sortable_name' in record), `dropped fields are absent: ${JSON.stringify(record)}`);
    assert.equal(record['email'], hmac(String(served?.['email'])));
    assert.equal(record['sis_user_id'], hmac(String(served?.['sis_user_id'])));
    assert.equal(record['name'], served?.['name'], 'other fields are stored as served');
    emails.set(Number(record['id']), String(record['email']));
  }
  return emails;
}

/** Quarantined records (the simulator damages ~3%) are redacted as stored ones are. */
async function assertRedactedQuarantine(sink: Sink): Promise<void> {
  const quarantined = await sink.readQuarantine({ resource: 'users' });
  assert.equal(quarantined.length, harness.simulator.malformedRows(USERS).length);
  assert.ok(quarantined.length > 0);
  for (const { record } of quarantined) {
    const fields = record as Record<string, unknown>;
    assert.ok(!('login_id' in fields) && !('sortable_name' in fields), `dropped in quarantine too: ${JSON.stringify(record)}`);
    assert.match(String(fields['email']), /^hmac256:[0-9a-f]{64}$/);
  }
}

async function verify(runId: string): Promise<void> {
  const { stdout } = await lmsExport(['verify', runId], { address: harness.env.address });
  assert.match(stdout, /the audit chain holds\n  (students|users): holds[\s\S]*\n  (students|users): holds/);
}

describe('a privacy rule', () => {
  let postgresEmails: Map<number, string>;

  it('keeps dropped fields out of every PostgreSQL table and export, stores hashes that join, and verifies', async () => {
    const spec = privateSpec('privacy-pg', { kind: 'postgres', url: harness.db.url, schema: 'privacy_pg' });
    const report = await exported(spec);

    const users = await queryRows<{ _record: Record<string, unknown> }>(harness.db.url, 'SELECT _record FROM privacy_pg.users');
    postgresEmails = assertRedactedUsers(users.map((r) => r._record));
    const students = await queryRows<{ id: string; email: string }>(harness.db.url, `SELECT id, _record->>'email' AS email FROM privacy_pg.students`);
    assert.equal(students.length, postgresEmails.size);
    for (const student of students) assert.equal(student.email, postgresEmails.get(Number(student.id)), 'the same email hashes alike in both resources');
    const joined = await queryRows<{ n: string }>(harness.db.url, `SELECT count(*) AS n FROM privacy_pg.users u JOIN privacy_pg.students s ON u._record->>'email' = s._record->>'email'`);
    assert.equal(Number(joined[0]?.n), postgresEmails.size);

    // No table of the sink (staging, quarantine, audit, ledgers) holds a raw email, nor a login_id of users
    // (students keeps its own: its rule drops nothing).
    // A ledger's rows name their resource or traversal (`students`, `students/p1`…): those of students are left out.
    const tables = await queryRows<{ table_name: string; named_by: string | null }>(
      harness.db.url,
      `SELECT table_name, (SELECT min(c.column_name) FROM information_schema.columns c WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name
         AND c.column_name IN ('resource', 'traversal')) AS named_by
       FROM information_schema.tables t WHERE table_schema = 'privacy_pg'`,
    );
    assert.ok(tables.some((t) => t.table_name === '_lms_quarantine') && tables.some((t) => t.table_name === '_lms_staging'));
    for (const { table_name, named_by } of tables) {
      const ofUsers = table_name.startsWith('students') ? 'false' : named_by !== null ? `t.${named_by} NOT LIKE 'students%'` : 'true';
      const leaks = await queryRows<{ n: string }>(harness.db.url, `SELECT count(*) AS n FROM privacy_pg."${table_name}" t WHERE t::text LIKE $1 OR (${ofUsers} AND t::text LIKE '%login_id%')`, [`%${RAW_EMAIL_DOMAIN}%`]);
      assert.equal(Number(leaks[0]?.n), 0, `${table_name} holds no raw email and no login_id of users`);
    }
    const studentLogins = await queryRows<{ n: string }>(harness.db.url, `SELECT count(*) AS n FROM privacy_pg.students WHERE _record ? 'login_id'`);
    assert.equal(Number(studentLogins[0]?.n), postgresEmails.size, 'the check above can see a login_id where one is stored');
    const [view] = await queryRows<Record<string, unknown>>(harness.db.url, 'SELECT * FROM privacy_pg.users_v LIMIT 1');
    assert.ok(view !== undefined && !('login_id' in view) && /^hmac256:/.test(String(view['email'])), 'the typed view shows the stored form');

    const { openSink } = await import('../../src/sinks/open-sink');
    const sink = await openSink(spec.sink as never);
    try {
      await assertRedactedQuarantine(sink);
    } finally {
      await sink.close();
    }

    const specFile = join(dir, 'privacy-pg.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const out = join(dir, 'users-pg.jsonl');
    await lmsExport(['export-file', specFile, 'users', '--format', 'jsonl', '--out', out], { address: harness.env.address });
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assertRedactedUsers(lines);
    await verify(report.runId);
  }, TEST_TIMEOUT_MS);

  it('does the same in DuckDB, where another run hashes each email as the PostgreSQL run did', async () => {
    const spec = privateSpec('privacy-duck', { kind: 'duckdb', path: join(dir, 'privacy.duckdb') });
    const report = await exported(spec);
    // The worker holds the DuckDB file (one writer process): read through its open sink.
    const sink = await harness.worker.sinks.get(spec.sink as never);
    const emails = assertRedactedUsers((await sink.readRows('users')).map((row) => row.record));
    assert.deepEqual(emails, postgresEmails, 'same key, same value: same hash in another run and sink');
    const students = await sink.readRows('students');
    for (const row of students) assert.equal(row.record['email'], emails.get(Number(row.record['id'])));
    await assertRedactedQuarantine(sink);
    const csv = await exportFile(sink, 'users', 'csv', join(dir, 'users.csv'));
    const text = readFileSync(csv.path, 'utf8');
    assert.ok(!text.includes(RAW_EMAIL_DOMAIN) && !text.includes('login_id') && text.includes('hmac256:'), 'the CSV export holds the stored form');
    await verify(report.runId);
  }, TEST_TIMEOUT_MS);

  it('fails the run at once, before any request, naming the key variable when it is unset or short', async () => {
    process.env['PRIVACY_TEST_SHORT_KEY'] = 'too-short';
    delete process.env['PRIVACY_TEST_UNSET_KEY'];
    const cases = [
      { variable: 'PRIVACY_TEST_UNSET_KEY', says: 'is not set on this worker' },
      { variable: 'PRIVACY_TEST_SHORT_KEY', says: 'holds 9 bytes; a hash key needs at least 32' },
    ];
    for (const [i, { variable, says }] of cases.entries()) {
      const requestsBefore = harness.simulator.stats.pageRequests;
      const started = Date.now();
      const spec = privateSpec(`privacy-no-key-${i}`, { kind: 'postgres', url: harness.db.url, schema: `privacy_no_key_${i}` }, variable);
      const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
      assert.equal(report.status, 'failed');
      const error = report.resources[0]?.error ?? '';
      assert.ok(error.includes(`resource users: privacy.hashKeyEnv: environment variable ${variable} ${says}`), error);
      assert.ok(!error.includes('too-short'), 'the key itself is never shown');
      assert.ok(error.includes('(worker '), `the worker is named: ${error}`);
      assert.equal(harness.simulator.stats.pageRequests, requestsBefore, 'no page was requested');
      assert.ok(Date.now() - started < 20_000, 'failed at once, not after retries');
    }
  }, TEST_TIMEOUT_MS);
});
