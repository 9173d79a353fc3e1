import assert from 'node:assert/strict';
import { afterAll, beforeAll, it } from '@jest/globals';
import { temporal } from '@temporalio/proto';
import { startExport, waitForReport } from '../../src/client/exports';
import { sourceRequestQueue } from '../../src/sources/request-budget';
import type { ChildProcess } from 'node:child_process';
import { createExportWorker, type ExportWorker } from '../../src/worker/worker';
import { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { startHarness, type Harness } from '../helpers/harness';
import { TOKEN_ENV } from '../helpers/specs';
import { TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';
import { spawnWorkerProcess } from '../helpers/worker-process';
import { waitFor } from '../helpers/wait';

const SHARED_QUEUE = 'budget-shared';
const CEILING = 4;
const LOCAL_CONCURRENCY = 2;

let harness: Harness;
let local: ExportWorker | undefined;
let localRunning: Promise<void> | undefined;
let remote: ChildProcess | undefined;

beforeAll(async () => {
  harness = await startHarness('budget-test', { users: 10 });
  // Two workers of one deployment, as two processes, told nothing of the source: both learn its queue and
  // budget from the running export, and the server enforces the spec's ceiling for both together.
  remote = spawnWorkerProcess({
    TEMPORAL_ADDRESS: harness.env.address,
    LMS_EXPORT_TASK_QUEUE: SHARED_QUEUE,
    [TOKEN_ENV]: harness.simulator.token,
  });
  local = await createExportWorker({
    connection: harness.env.nativeConnection,
    taskQueue: SHARED_QUEUE,
    workflowBundle: await workflowBundle(),
    // The deployment's own ceiling: the lower number wins, per field.
    requestCeiling: { requestsPerSecond: 100, concurrentRequests: LOCAL_CONCURRENCY },
  });
  localRunning = local.run();
  // The other process takes a few seconds to start on a loaded machine: the export starts once it polls too, so
  // both workers are there to share the budget from the first page.
  await waitFor('the second worker process to poll the shared queue', async () => (await pollerIdentities(SHARED_QUEUE, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)).size === 2, 60_000);
});

async function pollerIdentities(queue: string, taskQueueType: temporal.api.enums.v1.TaskQueueType): Promise<Set<string>> {
  const { pollers } = await harness.env.client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: queue }, taskQueueType });
  return new Set((pollers ?? []).map((p) => p.identity ?? ''));
}

afterAll(async () => {
  remote?.kill('SIGKILL');
  local?.shutdown();
  await localRunning;
  await harness?.stop();
});

it('keeps two workers together under the source\'s requests-per-second ceiling from the spec', async () => {
  const simulator = new LmsSimulator({ users: 500, courses: 3, enrollmentsPerCourse: 500 });
  await simulator.start();
  try {
    const spec: ExportSpecInput = {
      name: 'budget',
      source: { preset: 'canvas', baseUrl: `${simulator.url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV }, requestBudget: { requestsPerSecond: CEILING } },
      resources: [
        // Spot checks re-read pages from the checks' activity, outside the request queue: off, so every request counted is a page's.
        { name: 'budget_users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 50, completeness: { spotCheck: false } },
        ...[1, 2, 3].map((course) => ({ name: `budget_enrollments_${course}`, path: `/courses/${course}/enrollments`, primaryKey: ['id'], pageSize: 50, completeness: { spotCheck: false } })),
      ],
      sink: { kind: 'postgres', url: harness.db.url, schema: 'budget' },
      execution: { maxParallelResources: 4 },
    };
    const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: SHARED_QUEUE }));
    assert.equal(report.status, 'completed');
    assert.equal(report.resources.reduce((n, r) => n + r.recordsFetched, 0), 2_000);

    const arrivals = simulator.stats.arrivals;
    const seconds = ((arrivals[arrivals.length - 1] ?? 0) - (arrivals[0] ?? 0)) / 1000;
    const rate = (arrivals.length - 1) / seconds;
    console.log(`budget: ${arrivals.length} requests in ${seconds.toFixed(1)} s = ${rate.toFixed(2)}/s under a ceiling of ${CEILING}/s`);
    assert.ok(rate <= CEILING * 1.15, `ran at ${rate.toFixed(2)} requests/s over the ceiling of ${CEILING}`);
    // Without the ceiling four parallel traversals on a local simulator run well past 20 requests/s.
    assert.ok(rate >= CEILING * 0.5, `ran at ${rate.toFixed(2)} requests/s, far under the ceiling: is the budget shared at all?`);

    // Both workers polled the source's own queue, the local one within its deployment's concurrency ceiling.
    const queue = sourceRequestQueue(SHARED_QUEUE, spec.source);
    assert.match(queue, /^budget-shared-requests-127\.0\.0\.1_\d+$/);
    assert.deepEqual(local?.sourceQueues.polled(), [{ queue, requestsPerSecond: CEILING, concurrentRequestsPerWorker: LOCAL_CONCURRENCY }]);
    // The server lists a poller once its poll reached it: wait for both rather than read the list once.
    const identities = await waitFor(`both workers polling ${queue}`, async () => {
      const seen = await pollerIdentities(queue, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY);
      return seen.size === 2 ? seen : undefined;
    }, 30_000);
    assert.equal(identities.size, 2);
  } finally {
    await simulator.stop();
  }
}, TEST_TIMEOUT_MS);
