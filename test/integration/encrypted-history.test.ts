import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { specOfRun, startExport, waitForReport } from '../../src/client/exports';
import { createExportWorker, type ExportWorker } from '../../src/worker/worker';
import { ENCRYPTED_ENCODING } from '../../src/codec/aes-gcm-codec';
import { encryptionKeysFromEnv, type EncryptionKeys } from '../../src/codec/encryption-keys';
import { findTemporalCli } from '../../src/dev/dev-server';
import { REFUSED_STUDENT } from '../../src/simulator/faults';
import { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import type { RunReport } from '../../src/workflows/report';
import * as workflows from '../../src/workflows';
import { historyText } from '../helpers/history';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { TOKEN_ENV } from '../helpers/specs';
import { codecClient, startTemporal, TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { exited, printedBy } from '../helpers/worker-process';

const TASK_QUEUE = 'encrypted-history-test';
const WRONG_TOKEN_ENV = 'LMS_EXPORT_TEST_WRONG_TOKEN';
const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const keysA = encryptionKeysFromEnv({ LMS_EXPORT_ENCRYPTION_KEY: keyA })!;
const keysBA = encryptionKeysFromEnv({ LMS_EXPORT_ENCRYPTION_KEY: keyB, LMS_EXPORT_ENCRYPTION_KEYS: keyA })!;
const keysB = encryptionKeysFromEnv({ LMS_EXPORT_ENCRYPTION_KEY: keyB })!;

let env: TestWorkflowEnvironment;
let simulator: LmsSimulator;
let db: TestDatabase;
let worker: { exportWorker: ExportWorker; running: Promise<void> } | undefined;

async function startWorker(keys: EncryptionKeys): Promise<void> {
  const exportWorker = await createExportWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: await workflowBundle({ encrypted: true }), encryptionKeys: keys });
  worker = { exportWorker, running: exportWorker.run() };
}

async function stopWorker(): Promise<void> {
  worker?.exportWorker.shutdown();
  await worker?.running;
  worker = undefined;
}

beforeAll(async () => {
  simulator = new LmsSimulator({ users: 250, courses: 6, enrollmentsPerCourseMax: 40 });
  await simulator.start();
  process.env[TOKEN_ENV] = simulator.token;
  process.env[WRONG_TOKEN_ENV] = 'not-the-token';
  [env, db] = await Promise.all([startTemporal(), createTestDatabase()]);
  await startWorker(keysA);
});

afterAll(async () => {
  await stopWorker();
  await simulator?.stop();
  await db?.drop();
  await env?.teardown();
});

function canvasSpec(name: string, tokenEnv = TOKEN_ENV): ExportSpecInput {
  return {
    name,
    source: { preset: 'canvas', baseUrl: `${simulator.url}/api/v1`, auth: { bearerTokenEnv: tokenEnv } },
    resources: [
      // The update scan runs the users again as its own workflow type (updateScan); every resource gets a deletion scan.
      { name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 50, updateScan: { sinceParam: 'updated_since' } },
      { name: 'courses', path: '/courses', primaryKey: ['id'] },
      { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], pageSize: 10, parent: { resource: 'courses', as: 'course_id' } },
    ],
    sink: { kind: 'postgres', url: db.url, schema: name.replace(/-/g, '_') },
    execution: { activityTimeoutSeconds: 10, maxAttempts: 3 },
  };
}

function edfiPartitionedSpec(name: string): ExportSpecInput {
  return {
    name,
    source: { preset: 'edfi', baseUrl: `${simulator.url}/data/v3`, auth: { bearerTokenEnv: TOKEN_ENV } },
    resources: [{ name: 'students', path: '/ed-fi/students', primaryKey: ['id'], pageSize: 50, partitions: { count: 2, maxParallel: 2 } }],
    sink: { kind: 'postgres', url: db.url, schema: name.replace(/-/g, '_') },
  };
}

/**
 * Every workflow the runs so far started (parents, resource children, fan-out children, scans), as stored: listed
 * with the key (a listing decodes memos, which are encrypted too), read without it.
 */
async function storedHistories(withKey: Client, query = ''): Promise<Array<{ workflowId: string; workflowType: string; text: string }>> {
  const histories: Array<{ workflowId: string; workflowType: string; text: string }> = [];
  for await (const execution of withKey.workflow.list(query ? { query } : {})) {
    const history = await env.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    histories.push({ workflowId: execution.workflowId, workflowType: execution.type, text: historyText(history) });
  }
  return histories;
}

/** Every workflow type the worker registers (src/workflows/index.ts): each must be among the histories checked. */
const WORKFLOW_TYPES = Object.entries(workflows).filter(([, value]) => typeof value === 'function').map(([name]) => name).sort();

/** The payloads of a history as `temporal workflow show --output json` prints it (metadata and data in base64), as text. */
function payloadTexts(value: unknown): string {
  if (Array.isArray(value)) return value.map(payloadTexts).join('\n');
  if (value === null || typeof value !== 'object') return '';
  return Object.entries(value)
    .map(([key, inner]) => (typeof inner === 'string' && (key === 'data' || key === 'encoding') ? Buffer.from(inner, 'base64').toString('utf8') : payloadTexts(inner)))
    .join('\n');
}

function assertNothingReadable(text: string, what: string): void {
  assert.ok(text.includes(ENCRYPTED_ENCODING), `${what}: payloads are there, encrypted`);
  // Cursors (Canvas bookmarks, URL-encoded or not; Ed-Fi page tokens; the update scan's filter), base URLs, paths, the sink's URL.
  const clears = ['per_page=', 'bookmark', 'pageToken', 'updated_since', simulator.url, '/api/v1', '/data/v3', '/accounts/1/users', '/enrollments', '/ed-fi/students', simulator.token, db.url];
  for (const clear of clears) assert.ok(!text.includes(clear), `${what} holds "${clear}" in the clear`);
  for (const user of simulator.truth('/api/v1/accounts/1/users').slice(0, 50)) {
    assert.ok(!text.includes(String(user['email'])), `${what} holds ${user['email']}`);
    assert.ok(!text.includes(String(user['sortable_name'])) && !text.includes(String(user['name'])), `${what} holds a student name`);
  }
  for (const value of Object.values(REFUSED_STUDENT)) assert.ok(!text.includes(value), `${what} holds "${value}" from a server's error text`);
}

let run1: { workflowId: string; runId: string; report: RunReport };

describe('encrypted history', () => {
  it('stores no cursor, URL, path or student value readable without the key; with the key, the run reads', async () => {
    const withKey = codecClient(env, keysA);
    const handle = await startExport(withKey, canvasSpec('sealed'), { taskQueue: TASK_QUEUE });
    const report = await waitForReport(handle);
    assert.equal(report.status, 'completed', JSON.stringify(report.resources.map((r) => r.error)));
    assert.equal(report.resources.find((r) => r.resource === 'users')?.recordsFetched, 250);
    assert.equal(report.resources.find((r) => r.resource === 'enrollments')?.parents?.done, 6);
    run1 = { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, report };
    const partitioned = await waitForReport(await startExport(withKey, edfiPartitionedSpec('sealed-partitions'), { taskQueue: TASK_QUEUE }));
    assert.equal(partitioned.status, 'completed');
    assert.ok((partitioned.resources[0]?.partitions?.length ?? 0) >= 1, 'the students ran as partition children');

    assert.equal(report.resources.find((r) => r.resource === 'users')?.updateScan?.status, 'completed', 'the update scan ran');
    assert.ok(report.resources.every((r) => r.deletionScan !== undefined && r.deletionScan.outcome !== 'failed'), 'the deletion scans ran');
    const histories = await storedHistories(withKey);
    assert.deepEqual([...new Set(histories.map((h) => h.workflowType))].sort(), WORKFLOW_TYPES, 'every workflow type the worker runs is among the histories checked');
    const ids = histories.map((h) => h.workflowId);
    // The fan-out reads each course's first page itself; a course with more enrollments than a page gets a child traversal.
    assert.ok(ids.some((id) => /^export-sealed-enrollments-\d+$/.test(id)), `the fan-out children: ${ids.join(', ')}`);
    assert.ok(ids.includes('export-sealed-partitions-students-p0'), `the partitions: ${ids.join(', ')}`);
    assert.ok(ids.includes('export-sealed-users-updates') && ids.includes('export-sealed-users-deletions'), `the scans: ${ids.join(', ')}`);
    for (const { workflowId, workflowType, text } of histories) assertNothingReadable(text, `${workflowType} ${workflowId}`);

    // A client without the key sees ciphertext; the CLI's client (with it) the report.
    await assert.rejects(env.client.workflow.getHandle(handle.workflowId).result(), /Unknown encoding: binary\/encrypted/);
    assert.deepEqual(await withKey.workflow.getHandle(handle.workflowId).result(), report);
    assert.equal((await specOfRun(withKey, handle.firstExecutionRunId)).name, 'sealed', 'lms-export verify reads the spec back from history');
  }, TEST_TIMEOUT_MS);

  it('encrypts failure messages too: a refused token leaves no URL in history, and the key reads the error', async () => {
    const withKey = codecClient(env, keysA);
    const handle = await startExport(withKey, { ...canvasSpec('sealed-refused', WRONG_TOKEN_ENV), resources: [canvasSpec('x').resources[0]!] }, { taskQueue: TASK_QUEUE });
    const report = await waitForReport(handle);
    assert.equal(report.status, 'failed');
    assert.match(report.resources[0]?.error ?? '', /401/);
    const histories = await storedHistories(withKey, `WorkflowId STARTS_WITH '${handle.workflowId}'`);
    const text = histories.map((h) => h.text).join('\n');
    assert.match(text, /Encoded failure/, 'failure messages are moved into encrypted payloads');
    for (const clear of ['401 on GET', 'Invalid access token', WRONG_TOKEN_ENV]) assert.ok(!text.includes(clear), `the refusal is readable: "${clear}"`);
    const failure = await withKey.workflow.getHandle(handle.workflowId).result().catch((error: Error) => error);
    assert.match(String((failure as Error & { cause?: Error }).cause?.message), /users: resource users: 401 on GET \/api\/v1\/accounts\/1\/users/, 'with the key, the failure reads');
    assertNothingReadable(text, handle.workflowId);
  }, TEST_TIMEOUT_MS);

  it("encrypts a server's refusal that names a student; with the key it reads scrubbed", async () => {
    const refusing = new LmsSimulator({ users: 250, faults: { rate: 0, kinds: ['refused-student'], atRequests: [3] } });
    await refusing.start();
    try {
      const withKey = codecClient(env, keysA);
      const spec = { ...canvasSpec('sealed-student'), source: { preset: 'canvas' as const, baseUrl: `${refusing.url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV } }, resources: [canvasSpec('x').resources[0]!] };
      const handle = await startExport(withKey, spec, { taskQueue: TASK_QUEUE });
      const report = await waitForReport(handle);
      assert.equal(report.status, 'failed');
      assert.equal(refusing.faults?.injected['refused-student'], 1);
      assert.match(report.resources[0]?.error ?? '', /400 on GET \/api\/v1\/accounts\/1\/users\?\S*page=<cursor>\S*: <name> \(<email>, SIS <number>; listed as <quoted>\) is not enrolled/, 'with the key, the failure reads, scrubbed');
      const histories = await storedHistories(withKey, `WorkflowId STARTS_WITH '${handle.workflowId}'`);
      for (const { workflowId, workflowType, text } of histories) {
        assertNothingReadable(text.replaceAll(refusing.url, simulator.url), `${workflowType} ${workflowId}`);
        assert.ok(!text.includes(refusing.url), `${workflowId} holds the base URL`);
      }
    } finally {
      await refusing.stop();
    }
  }, TEST_TIMEOUT_MS);

  it('decodes for `temporal workflow show --codec-endpoint` through `lms-export codec-server`, only with the token', async () => {
    const token = randomBytes(16).toString('hex');
    const cli = join(__dirname, '..', '..', 'bin', 'lms-export.js');
    const server = spawn(process.execPath, [cli, 'codec-server', '--port', '0'], {
      env: { ...process.env, LMS_EXPORT_ENCRYPTION_KEY: keyA, LMS_EXPORT_CODEC_AUTH_TOKEN: token },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const printed = printedBy(server);
    try {
      const url = await waitFor('the codec server to listen', async () => printed().match(/codec server at (http:\/\/\S+)/)?.[1], 30_000);
      const temporal = findTemporalCli();
      assert.ok(temporal, 'the temporal CLI');
      const { stdout } = await promisify(execFile)(temporal, ['workflow', 'show', '--workflow-id', run1.workflowId, '--run-id', run1.runId, '--address', env.address, '--codec-endpoint', url, '--codec-auth', token, '--output', 'json']);
      const shown = payloadTexts(JSON.parse(stdout));
      assert.ok(shown.includes('/accounts/1/users'), 'the decoded input holds the resource path');
      assert.ok(!shown.includes('binary/encrypted'), 'every payload decoded');
      // Without the token the server answers 401 (the Temporal CLI retries that until its deadline).
      const refused = await fetch(`${url}/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"payloads":[]}' });
      assert.equal(refused.status, 401);
    } finally {
      server.kill('SIGTERM');
      await exited(server);
    }
  }, TEST_TIMEOUT_MS);

  it('refuses to start a worker or a CLI command with a malformed key, naming the variable, before connecting', async () => {
    const cli = join(__dirname, '..', '..', 'bin', 'lms-export.js');
    const badKey = { ...process.env, TEMPORAL_ADDRESS: env.address, LMS_EXPORT_ENCRYPTION_KEY: 'not-a-key' };
    for (const verb of [['worker'], ['status', 'export-sealed']]) {
      await assert.rejects(promisify(execFile)(process.execPath, [cli, ...verb], { env: badKey, timeout: 30_000 }), (error: Error & { stderr: string }) => {
        assert.match(error.stderr, /LMS_EXPORT_ENCRYPTION_KEY must be 32 bytes in base64/, verb.join(' '));
        assert.ok(!error.stderr.includes('not-a-key'), 'the value is not shown');
        return true;
      });
    }
  }, TEST_TIMEOUT_MS);

  it('after a key rotation, writes with the new key and still reads runs of the old one', async () => {
    await stopWorker();
    await startWorker(keysBA);
    const rotated = codecClient(env, keysBA);
    const handle = await startExport(rotated, canvasSpec('sealed'), { taskQueue: TASK_QUEUE, workflowId: 'export-sealed-after-rotation' });
    const report = await waitForReport(handle);
    assert.equal(report.status, 'completed');

    const run2 = (await storedHistories(rotated, `WorkflowId STARTS_WITH 'export-sealed-after-rotation'`)).map((h) => h.text).join('\n');
    assertNothingReadable(run2, 'the run after the rotation');
    assert.ok(run2.includes(keysB.current.id) && !run2.includes(keysA.current.id), 'new payloads name key B only');

    const before = rotated.workflow.getHandle(run1.workflowId, run1.runId);
    assert.deepEqual(await before.result(), run1.report, 'the run written with key A reads with A among the old keys');
    await assert.rejects(codecClient(env, keysB).workflow.getHandle(run1.workflowId, run1.runId).result(), new RegExp(`encrypted with key ${keysA.current.id}`));
  }, TEST_TIMEOUT_MS);
});
