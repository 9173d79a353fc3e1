import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, it } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { startExport, waitForReport } from '../../src/client/exports';
import { LmsSimulator } from '../../src/simulator/server';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { simulatorSpec, TOKEN_ENV } from '../helpers/specs';
import { RestartableTemporal, TEST_TIMEOUT_MS } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { exited, spawnWorkerProcess } from '../helpers/worker-process';
import { progressOf } from '../helpers/progress';

const TASK_QUEUE = 'wait-reconnect';
const USERS = 2_000;

let simulator: LmsSimulator;
let db: TestDatabase;
let temporal: RestartableTemporal | undefined;
let worker: ChildProcess | undefined;
let connection: Connection | undefined;

beforeAll(async () => {
  // Slow pages, so the run is still going when the server goes down.
  simulator = new LmsSimulator({ users: USERS, latencyMs: 100 });
  await simulator.start();
  db = await createTestDatabase();
});

afterAll(async () => {
  worker?.kill('SIGKILL');
  await connection?.close();
  await temporal?.teardown();
  await simulator?.stop();
  await db?.drop();
});

it('waits through a restart of the Temporal server and returns the completed report', async () => {
  // The server keeps its state in a file, as a real deployment does: the run survives the restart.
  temporal = await RestartableTemporal.start();
  let env = temporal.env;
  worker = spawnWorkerProcess({ LMS_EXPORT_TASK_QUEUE: TASK_QUEUE, [TOKEN_ENV]: simulator.token, TEMPORAL_ADDRESS: env.address });
  // The waiting client has its own connection, as `lms-export start --wait` does: the server going away must not end it.
  connection = await Connection.connect({ address: env.address });
  const client = new Client({ connection });

  const spec = simulatorSpec('wait-reconnect', simulator.url, { kind: 'postgres', url: db.url }, {
    resources: [{ name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 50 }],
  });
  const handle = await startExport(client, spec, { taskQueue: TASK_QUEUE });
  const lines: string[] = [];
  const waiting = waitForReport(handle, { log: (line) => lines.push(line) });
  const traversal = client.workflow.getHandle(`${handle.workflowId}-users`);
  await waitFor('a few pages persisted', async () => ((await progressOf(traversal))?.pages ?? 0) >= 3, 60_000);

  await temporal.stop();
  await waitFor('the waiting client to notice the lost server', () => lines.length > 0, 30_000);
  env = await temporal.startAgain();
  // A worker that gave up on the lost server is started again; the run itself never stopped being durable.
  if (worker.exitCode !== null || worker.signalCode !== null) {
    await exited(worker);
    worker = spawnWorkerProcess({ LMS_EXPORT_TASK_QUEUE: TASK_QUEUE, [TOKEN_ENV]: simulator.token, TEMPORAL_ADDRESS: env.address });
  }

  const report = await waiting;
  assert.equal(report.status, 'completed', report.resources[0]?.error);
  assert.equal(report.resources[0]?.recordsFetched, USERS);
  assert.deepEqual(lines, [`lost the Temporal server at ${env.address}; reconnecting…`, 'reconnected']);
  assert.ok(simulator.stats.pageRequests < USERS / 50 + 10, 'the run went on where it was, not from the beginning');
}, TEST_TIMEOUT_MS);
