import assert from 'node:assert/strict';
import { afterAll, beforeAll, it } from '@jest/globals';
import { temporal } from '@temporalio/proto';
import { startExport, waitForReport } from '../../src/client/exports';
import { WORKER_LOST_FAILURE } from '../../src/worker/reclaim-attempts';
import { eventMillis } from '../helpers/history';
import { retriedPageFetches, startKilledWorkersRig, type KilledWorkersRig } from '../helpers/killed-workers';
import { queryRows } from '../helpers/postgres';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { exited, printedBy } from '../helpers/worker-process';
import { progressOf } from '../helpers/progress';

const TASK_QUEUE = 'worker-restart-test';
const USERS = 800;
/** Each page takes this long to answer, so a page fetch is in flight most of the time. */
const LATENCY_MS = 1_500;
/** Long enough that only the restarted worker's reclaim, not the heartbeat timeout, can explain a quick retry. */
const HEARTBEAT_TIMEOUT_SECONDS = 90;

const { PendingActivityState } = temporal.api.enums.v1;

let rig: KilledWorkersRig;

beforeAll(async () => {
  rig = await startKilledWorkersRig({ users: USERS, latencyMs: LATENCY_MS });
});

afterAll(() => rig?.stop());

it('a worker restarted on the host of a SIGKILLed one retries the attempts it left at once, not after their heartbeat timeout', async () => {
  const { env, simulator, db } = rig;
  const first = rig.spawnWorker(TASK_QUEUE);
  const spec = simulatorSpec('restart-users', simulator.url, { kind: 'postgres', url: db.url }, {
    execution: { heartbeatTimeoutSeconds: HEARTBEAT_TIMEOUT_SECONDS, activityTimeoutSeconds: 2 * HEARTBEAT_TIMEOUT_SECONDS },
  });
  const handle = await startExport(env.client, spec, { taskQueue: TASK_QUEUE });
  const child = env.client.workflow.getHandle(`${handle.workflowId}-users`);
  await waitFor('two persisted pages', async () => ((await progressOf(child))?.pages ?? 0) >= 2, 120_000);
  await waitFor('a page fetch in flight', async () => {
    const description = await child.describe().catch(() => undefined);
    return description?.raw.pendingActivities?.some((a) => a.activityType?.name === 'fetchPage' && a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED && a.lastWorkerIdentity?.startsWith(`${first.pid}@`));
  }, 60_000);
  first.kill('SIGKILL');
  const killedAt = Date.now();
  await exited(first);
  const restarted = rig.spawnWorker(TASK_QUEUE);
  const printed = printedBy(restarted);

  const report = await waitForReport(handle);
  assert.equal(report.status, 'completed', report.resources[0]?.error);
  assert.equal(report.resources[0]?.pages, USERS / 100);
  assert.match(printed(), new RegExp(`retried 1 attempt\\(s\\) of ${first.pid}@`));

  const retried = await retriedPageFetches(env.client, child.workflowId, (lost) => lost.applicationFailureInfo?.type === WORKER_LOST_FAILURE);
  assert.equal(retried.length, 1, 'the lost page fetch was ended as WorkerLost and retried');
  const retry = retried[0]?.activityTaskStartedEventAttributes;
  assert.ok(retry?.identity?.startsWith(`${restarted.pid}@`), `the retry ran on the restarted worker (${retry?.identity})`);
  const killToRetryMs = eventMillis(retried[0]) - killedAt;
  console.log(`kill to retried attempt: ${killToRetryMs} ms (heartbeat timeout ${HEARTBEAT_TIMEOUT_SECONDS} s)`);
  // Worker start-up plus the retry's backoff: seconds. A third of the heartbeat timeout is a wide margin.
  assert.ok(killToRetryMs > 0 && killToRetryMs < (HEARTBEAT_TIMEOUT_SECONDS * 1000) / 3, `retried ${killToRetryMs} ms after the kill`);

  const rows = await queryRows<{ id: string; _record: Record<string, unknown> }>(db.url, 'SELECT id, _record FROM public.users ORDER BY id::int');
  assert.deepEqual(rows.map((r) => r._record), simulator.truth('/api/v1/accounts/1/users'));
}, TEST_TIMEOUT_MS);
