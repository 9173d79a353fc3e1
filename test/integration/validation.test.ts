import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import { openSink } from '../../src/sinks/open-sink';
import { damageOf } from '../../src/simulator/malformed';
import { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import type { QuarantinedRecord } from '../../src/sinks/sink';
import { startHarness, type Harness } from '../helpers/harness';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

const TASK_QUEUE = 'validation-test';
const USERS = '/api/v1/accounts/1/users';
const LMS_EXPORT = join(__dirname, '..', '..', 'bin', 'lms-export.js');

let harness: Harness;
let dir: string;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 10 });
  dir = mkdtempSync(join(tmpdir(), 'lms-validation-'));
});

afterAll(async () => {
  await harness?.stop();
});

async function withSimulator<T>(simulator: LmsSimulator, body: () => Promise<T>): Promise<T> {
  await simulator.start();
  try {
    return await body();
  } finally {
    await simulator.stop();
  }
}

function usersSpec(name: string, simulator: LmsSimulator, users: Partial<ExportSpecInput['resources'][number]>): ExportSpecInput {
  return simulatorSpec(name.replaceAll('_', '-'), simulator.url, { kind: 'postgres', url: harness.db.url, schema: name }, {
    resources: [{ name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 100, ...users }],
  });
}

async function storedIds(spec: ExportSpecInput): Promise<number[]> {
  const sink = await openSink(spec.sink as never);
  try {
    return (await sink.readRows('users')).map((r) => Number(r.record['id'])).sort((a, b) => a - b);
  } finally {
    await sink.close();
  }
}

async function quarantined(spec: ExportSpecInput, includeReadmitted = false): Promise<QuarantinedRecord[]> {
  const sink = await openSink(spec.sink as never);
  try {
    return await sink.readQuarantine({ resource: 'users', includeReadmitted });
  } finally {
    await sink.close();
  }
}

describe('validation and quarantine', () => {
  it('lands the valid records and quarantines every malformed one with its issues: quarantined + stored = served', async () => {
    const simulator = new LmsSimulator({ users: 3_000, malformed: { rate: 0.02 } });
    await withSimulator(simulator, async () => {
      const spec = usersSpec('valid_two_percent', simulator, { schema: 'canvas.users', maxInvalidRatio: 0.05 });
      const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
      const served = simulator.truth(USERS);
      const malformed = simulator.malformedRows(USERS);
      assert.equal(report.status, 'completed');
      assert.ok(malformed.length >= 30 && malformed.length <= 100, `about 2% of ${served.length} damaged, got ${malformed.length}`);

      const bad = new Set(malformed.map((r) => r.id));
      assert.deepEqual(await storedIds(spec), served.filter((r) => !bad.has(r.id)).map((r) => r.id));
      const set = await quarantined(spec);
      assert.equal(set.length, malformed.length);
      assert.equal(report.resources[0]?.quarantined, malformed.length);
      assert.equal(set.length + (await storedIds(spec)).length, served.length);

      // Each record is there raw, with the issue its damage calls for, and where it came from.
      const byId = new Map(set.map((q) => [(q.record as { sis_user_id: string }).sis_user_id, q]));
      for (const row of malformed) {
        const entry = byId.get(row['sis_user_id'] as string);
        assert.ok(entry, `user ${row.id} is in quarantine`);
        const damage = damageOf(row.id);
        assert.deepEqual(entry.issues.map((i) => i.path), [damage === 'null-key' ? 'id' : 'name'], `${row.id} (${damage}): ${entry.reason}`);
        assert.equal(entry.key, damage === 'null-key' ? null : JSON.stringify([String(row.id)]));
        assert.ok(entry.pageNumber >= 1 && entry.runId.length > 0);
      }
      assert.match(report.resources[0]?.firstInvalid ?? '', /^page \d+, record \d+: (id|name): /);
    });
  }, TEST_TIMEOUT_MS);

  it('fails the resource above maxInvalidRatio, naming the count and the first issue, and keeps the valid rows', async () => {
    const simulator = new LmsSimulator({ users: 1_000, malformed: { rate: 0.05 } });
    await withSimulator(simulator, async () => {
      const spec = usersSpec('valid_over_threshold', simulator, { schema: 'canvas.users' });
      const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
      const count = simulator.malformedRows(USERS).length;
      assert.equal(report.status, 'failed');
      const error = report.resources[0]?.error ?? '';
      assert.match(error, new RegExp(`${count} of 1000 records \\(\\d+\\.\\d%\\) failed validation, over maxInvalidRatio 1\\.0%`));
      assert.match(error, /first: page 1, record \d+: (id|name): /);
      assert.equal((await storedIds(spec)).length, 1_000 - count);
    });
  }, TEST_TIMEOUT_MS);

  it('re-admits quarantined records when a fixed schema lets them through, and lists them from the CLI', async () => {
    const simulator = new LmsSimulator({ users: 300 });
    await withSimulator(simulator, async () => {
      // A declared schema with a mistake in it: `name` is a string, not an integer.
      const wrong = usersSpec('valid_readmit', simulator, { schema: { required: { id: 'integer', name: 'integer' } }, maxInvalidRatio: 1 });
      const first = await waitForReport(await startExport(harness.env.client, wrong, { taskQueue: TASK_QUEUE, workflowId: 'readmit-1' }));
      assert.equal(first.resources[0]?.quarantined, 300);
      assert.deepEqual(await storedIds(wrong), []);

      const file = join(dir, 'readmit.json');
      writeFileSync(file, JSON.stringify(wrong));
      const listed = await promisify(execFile)(process.execPath, [LMS_EXPORT, 'quarantine', file, '--resource', 'users']);
      assert.match(listed.stdout, /^300 quarantined record\(s\)/);
      assert.match(listed.stdout, /users key \["1"\] \(users run \S+ page 1 record 1\)\n {4}name: Invalid input: expected number, received string/);

      const fixed = { ...wrong, resources: [{ ...wrong.resources[0]!, schema: { required: { id: 'integer', name: 'string' } } }] } as ExportSpecInput;
      const second = await waitForReport(await startExport(harness.env.client, fixed, { taskQueue: TASK_QUEUE, workflowId: 'readmit-2' }));
      assert.equal(second.resources[0]?.quarantined, 0);
      assert.deepEqual(await storedIds(fixed), simulator.truth(USERS).map((r) => r.id));
      assert.deepEqual(await quarantined(fixed), []);
      const history = await quarantined(fixed, true);
      assert.equal(history.length, 300);
      assert.ok(history.every((q) => q.readmittedRun === second.runId));
    });
  }, TEST_TIMEOUT_MS);
});
