import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startExport, waitForReport } from '../../src/client/exports';
import { createExportWorker, type ExportWorker } from '../../src/worker/worker';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/postgres';
import { startTemporal, TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { exited, spawnWorkerProcess } from '../helpers/worker-process';

const TASK_QUEUE = 'worker-shutdown-test';
const GRACE_SECONDS = 3;
const RECORDS = [{ id: 1 }, { id: 2 }];

/**
 * A source on 127.0.0.1 whose first answer sends its headers and `[`, then one byte every 5 s, forever; every
 * later request gets the whole collection at once. It counts the dripping connections still open.
 */
class DripServer {
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  requests = 0;
  openDrips = 0;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      this.requests += 1;
      if (this.requests > 1) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(RECORDS));
      this.openDrips += 1;
      req.socket.on('close', () => (this.openDrips -= 1));
      res.writeHead(200, { 'content-type': 'application/json' }).write('[');
      const timer = setInterval(() => res.write(' '), 5_000);
      this.timers.add(timer);
      res.on('close', () => clearInterval(timer));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.timers.forEach(clearInterval);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let env: TestWorkflowEnvironment;
let db: TestDatabase;
const drip = new DripServer();
let doomed: ChildProcess | undefined;
let successor: ExportWorker | undefined;
let successorRunning: Promise<void> | undefined;

beforeAll(async () => {
  await drip.start();
  [env, db] = await Promise.all([startTemporal(), createTestDatabase()]);
});

afterAll(async () => {
  doomed?.kill('SIGKILL');
  successor?.shutdown();
  await successorRunning;
  await drip.stop();
  await db?.drop();
  await env?.teardown();
});

it('exits within LMS_EXPORT_SHUTDOWN_GRACE_SECONDS of SIGTERM while a page drips, letting go of the request, and the run goes on elsewhere', async () => {
  doomed = spawnWorkerProcess({ TEMPORAL_ADDRESS: env.address, LMS_EXPORT_TASK_QUEUE: TASK_QUEUE, LMS_EXPORT_SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS) });
  const exitCode = new Promise<number | null>((resolve) => doomed?.once('exit', (code) => resolve(code)));
  const handle = await startExport(env.client, {
    name: 'drip-shutdown',
    source: { baseUrl: drip.url },
    resources: [{ name: 'items', path: '/items', primaryKey: ['id'], pagination: { type: 'link-header' } }],
    sink: { kind: 'postgres', url: db.url, schema: 'drip' },
    execution: { activityTimeoutSeconds: 120 },
  }, { taskQueue: TASK_QUEUE });
  await waitFor('the worker to be reading the dripping page', () => drip.openDrips > 0, 120_000);

  const signalledAt = Date.now();
  doomed.kill('SIGTERM');
  const code = await exitCode;
  const seconds = (Date.now() - signalledAt) / 1000;
  assert.equal(code, 0, 'a clean exit');
  assert.ok(seconds >= GRACE_SECONDS - 0.5, `the running page got its grace before it was cancelled (exited after ${seconds} s)`);
  assert.ok(seconds < 15, `exited ${seconds} s after SIGTERM, with a grace of ${GRACE_SECONDS} s`);
  await exited(doomed);
  await waitFor('the dripping connection to be closed', () => drip.openDrips === 0, 2_000);
  assert.equal((await handle.describe()).status.name, 'RUNNING', 'the run waits for another worker');

  successor = await createExportWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: await workflowBundle() });
  successorRunning = successor.run();
  const report = await waitForReport(handle);
  assert.equal(report.status, 'completed', report.resources[0]?.error);
  assert.ok(drip.requests >= 2, 'the page was asked for again');
  const rows = await queryRows<{ id: string }>(db.url, 'SELECT id FROM drip.items ORDER BY id');
  assert.deepEqual(rows.map((r) => String(r.id)), ['1', '2']);
}, TEST_TIMEOUT_MS);
