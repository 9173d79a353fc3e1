import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, it } from '@jest/globals';
import { temporal } from '@temporalio/proto';
import { startExport, waitForReport } from '../../src/client/exports';
import { DEFAULT_HEARTBEAT_TIMEOUT_SECONDS } from '../../src/workflows/activity-options';
import { eventMillis } from '../helpers/history';
import { retriedPageFetches, startKilledWorkersRig, type KilledWorkersRig } from '../helpers/killed-workers';
import { queryRows } from '../helpers/postgres';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { exited, printedBy } from '../helpers/worker-process';
import { progressOf } from '../helpers/progress';

const TASK_QUEUE = 'heartbeat-recovery-test';
const USERS = 1_200;
/** Each page takes this long to answer, so a page fetch is in flight most of the time. */
const LATENCY_MS = 1_500;
/** The start-to-close timeout, which alone decided when a lost attempt was retried before activities heartbeated. */
const ACTIVITY_TIMEOUT_SECONDS = 120;

const { PendingActivityState, TimeoutType } = temporal.api.enums.v1;

let rig: KilledWorkersRig;

beforeAll(async () => {
  rig = await startKilledWorkersRig({ users: USERS, latencyMs: LATENCY_MS });
});

afterAll(() => rig?.stop());

it('retries a page whose worker was SIGKILLed mid-fetch on the other running worker within the heartbeat timeout, long before the start-to-close timeout', async () => {
  const { env, simulator, db } = rig;
  const workers = [rig.spawnWorker(TASK_QUEUE), rig.spawnWorker(TASK_QUEUE)];
  const outputs = workers.map(printedBy);
  const spec = simulatorSpec('heartbeat-users', simulator.url, { kind: 'postgres', url: db.url }, {
    execution: { activityTimeoutSeconds: ACTIVITY_TIMEOUT_SECONDS, maxAttempts: 5 },
  });
  const handle = await startExport(env.client, spec, { taskQueue: TASK_QUEUE });
  // Both workers fetch: each polls the source's request queue once it has found the run.
  await waitFor('both workers polling the request queue', () => outputs.every((printed) => printed().includes('polling request queue')), 60_000);

  const child = env.client.workflow.getHandle(`${handle.workflowId}-users`);
  await waitFor('two persisted pages', async () => ((await progressOf(child))?.pages ?? 0) >= 2, 120_000);
  const holder = await waitFor('a page fetch in flight on one of the workers', async () => {
    const description = await child.describe().catch(() => undefined);
    const fetching = description?.raw.pendingActivities?.find((a) => a.activityType?.name === 'fetchPage' && a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED);
    return workers.find((w) => fetching?.lastWorkerIdentity?.startsWith(`${w.pid}@`));
  }, 60_000);
  const survivor = workers.find((w) => w !== holder) as ChildProcess;
  holder.kill('SIGKILL');
  const killedAt = Date.now();
  await exited(holder);

  const report = await waitForReport(handle);
  assert.equal(report.status, 'completed', report.resources[0]?.error);
  assert.equal(report.resources[0]?.pages, USERS / 100);

  // The retried attempt started on the survivor after the killed one missed its heartbeats.
  const retried = await retriedPageFetches(env.client, child.workflowId, (lost) => lost.timeoutFailureInfo?.timeoutType === TimeoutType.TIMEOUT_TYPE_HEARTBEAT);
  assert.equal(retried.length, 1, 'one page fetch timed out on its heartbeat and was retried');
  const retry = retried[0]?.activityTaskStartedEventAttributes;
  assert.ok(retry?.identity?.startsWith(`${survivor.pid}@`), `the retry ran on the surviving worker (${retry?.identity})`);
  assert.equal(retry?.attempt, 2);

  const killToRetryMs = eventMillis(retried[0]) - killedAt;
  const firstRequestAfterKillMs = Math.min(...simulator.stats.arrivals.filter((at) => at > killedAt)) - killedAt;
  console.log(`kill to retried attempt: ${killToRetryMs} ms (its request reached the source ${firstRequestAfterKillMs} ms after the kill)`);
  // Expected: at most the heartbeat timeout plus the retry's 1 s backoff. Half the start-to-close is a wide margin.
  assert.ok(killToRetryMs > 0 && killToRetryMs < (ACTIVITY_TIMEOUT_SECONDS * 1000) / 2, `retried ${killToRetryMs} ms after the kill (heartbeat timeout ${DEFAULT_HEARTBEAT_TIMEOUT_SECONDS} s)`);

  const rows = await queryRows<{ id: string; _record: Record<string, unknown> }>(db.url, 'SELECT id, _record FROM public.users ORDER BY id::int');
  assert.equal(new Set(rows.map((r) => r.id)).size, rows.length, 'no duplicate keys');
  assert.deepEqual(rows.map((r) => r._record), simulator.truth('/api/v1/accounts/1/users'));
}, TEST_TIMEOUT_MS);
