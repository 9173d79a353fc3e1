import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startExport, waitForReport } from '../../src/client/exports';
import { createExportWorker, type ExportWorker } from '../../src/worker/worker';
import { LmsSimulator } from '../../src/simulator/server';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/postgres';
import { simulatorSpec, TOKEN_ENV } from '../helpers/specs';
import { startTemporal, TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { exited, spawnWorkerProcess } from '../helpers/worker-process';
import { progressOf } from '../helpers/progress';

const TASK_QUEUE = 'crash-test';
const USERS = 5_000;

let env: TestWorkflowEnvironment;
let simulator: LmsSimulator;
let db: TestDatabase;
let doomed: ChildProcess | undefined;
let survivor: ExportWorker | undefined;
let survivorRunning: Promise<void> | undefined;

beforeAll(async () => {
  simulator = new LmsSimulator({ users: USERS, latencyMs: 25 });
  await simulator.start();
  process.env[TOKEN_ENV] = simulator.token;
  [env, db] = await Promise.all([startTemporal(), createTestDatabase()]);
});

afterAll(async () => {
  doomed?.kill('SIGKILL');
  survivor?.shutdown();
  await survivorRunning;
  await simulator?.stop();
  await db?.drop();
  await env?.teardown();
});

it('resumes at the next page after the worker process is killed with SIGKILL', async () => {
  doomed = spawnWorkerProcess({ TEMPORAL_ADDRESS: env.address, LMS_EXPORT_TASK_QUEUE: TASK_QUEUE, [TOKEN_ENV]: simulator.token });
  const spec = simulatorSpec('crash-users', simulator.url, { kind: 'postgres', url: db.url }, {
    execution: { activityTimeoutSeconds: 3, maxAttempts: 10 },
  });
  const handle = await startExport(env.client, spec, { taskQueue: TASK_QUEUE });
  const child = env.client.workflow.getHandle(`${handle.workflowId}-users`);
  await waitFor('ten persisted pages', async () => ((await progressOf(child))?.pages ?? 0) >= 10, 120_000);

  doomed.kill('SIGKILL');
  await exited(doomed);
  const pagesAtKill = (await progressOf(child))?.pages;

  survivor = await createExportWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: await workflowBundle() });
  survivorRunning = survivor.run();
  const report = await waitForReport(handle);

  const users = report.resources[0];
  const totalPages = USERS / 100;
  assert.equal(report.status, 'completed');
  assert.equal(users?.pages, totalPages);
  assert.ok(pagesAtKill === undefined || pagesAtKill < totalPages, 'the kill landed mid-export');
  // At most the two pages in flight at the kill again, plus the three spot-check re-fetches.
  assert.ok(simulator.stats.pageRequests <= totalPages + 2 + 3, `simulator saw ${simulator.stats.pageRequests} page requests for ${totalPages} pages`);

  const rows = await queryRows<{ id: string; _record: Record<string, unknown> }>(db.url, 'SELECT id, _record FROM public.users ORDER BY id::int');
  assert.equal(new Set(rows.map((r) => r.id)).size, rows.length, 'no duplicate keys');
  assert.deepEqual(rows.map((r) => r._record), simulator.truth('/api/v1/accounts/1/users'));
}, TEST_TIMEOUT_MS);

it('keeps a Retry-After wait when the worker is killed during it, and sends nothing before it ends', async () => {
  const queue = 'crash-throttle-test';
  const throttling = new LmsSimulator({ users: 900, throttle: { requests: [3], seconds: 4, form: 'seconds' } });
  await throttling.start();
  const worker = spawnWorkerProcess({ TEMPORAL_ADDRESS: env.address, LMS_EXPORT_TASK_QUEUE: queue, [TOKEN_ENV]: throttling.token });
  let replacement: ExportWorker | undefined;
  let replacementRunning: Promise<void> | undefined;
  try {
    const spec = simulatorSpec('crash-throttle', throttling.url, { kind: 'postgres', url: db.url, schema: 'throttled' });
    const handle = await startExport(env.client, spec, { taskQueue: queue });
    const throttledAt = await waitFor('the 429', () => throttling.stats.throttled[0], 120_000);
    worker.kill('SIGKILL');
    await exited(worker);
    replacement = await createExportWorker({ connection: env.nativeConnection, taskQueue: queue, workflowBundle: await workflowBundle() });
    replacementRunning = replacement.run();

    const report = await waitForReport(handle);
    assert.equal(report.status, 'completed', report.resources[0]?.error);
    const after = throttling.stats.arrivals.filter((at) => at > throttledAt);
    assert.ok(Math.min(...after) - throttledAt >= 4_000, `first request ${Math.min(...after) - throttledAt} ms after the 429`);
    const rows = await queryRows<{ n: string }>(db.url, 'SELECT count(*) AS n FROM throttled.users');
    assert.equal(Number(rows[0]?.n), 900);
  } finally {
    worker.kill('SIGKILL');
    replacement?.shutdown();
    await replacementRunning;
    await throttling.stop();
  }
}, TEST_TIMEOUT_MS);
