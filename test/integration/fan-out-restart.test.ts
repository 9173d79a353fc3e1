import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { fanOutProgressQuery } from '../../src/workflows/definitions';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/postgres';
import { TOKEN_ENV } from '../helpers/specs';
import { RestartableTemporal, TEST_TIMEOUT_MS } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { exited, spawnWorkerProcess } from '../helpers/worker-process';

const TASK_QUEUE = 'fan-out-restart';
const COURSES = 200;

let simulator: LmsSimulator;
let db: TestDatabase;
let temporal: RestartableTemporal | undefined;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  simulator = new LmsSimulator({ users: 1_000, courses: COURSES, enrollmentsPerCourseMax: 150, latencyMs: 20 });
  await simulator.start();
  db = await createTestDatabase();
});

afterAll(async () => {
  worker?.kill('SIGKILL');
  await temporal?.teardown();
  await simulator?.stop();
  await db?.drop();
});

it('finishes exact after the worker is killed and the dev server restarted mid-fan-out, no course traversed twice in full', async () => {
  // The server keeps its state in a file, as a real deployment does: a restart loses nothing.
  temporal = await RestartableTemporal.start();
  let env = temporal.env;
  const workerEnv = { LMS_EXPORT_TASK_QUEUE: TASK_QUEUE, [TOKEN_ENV]: simulator.token };
  worker = spawnWorkerProcess({ ...workerEnv, TEMPORAL_ADDRESS: env.address });

  const spec: ExportSpecInput = {
    name: 'fan-out-restart',
    source: { preset: 'canvas', baseUrl: `${simulator.url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV }, requestBudget: { requestsPerSecond: 500 } },
    resources: [
      { name: 'courses', path: '/courses', primaryKey: ['id'] },
      { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id', maxParallel: 4 } },
    ],
    sink: { kind: 'postgres', url: db.url },
    execution: { activityTimeoutSeconds: 5, maxAttempts: 20 },
  };
  const handle = await startExport(env.client, spec, { taskQueue: TASK_QUEUE });
  const fanOut = env.client.workflow.getHandle(`${handle.workflowId}-enrollments`);
  const doneAtKill = await waitFor('40 courses done', async () => {
    const done = (await fanOut.query(fanOutProgressQuery).catch(() => undefined))?.parentsDone ?? 0;
    return done >= 40 ? done : undefined;
  }, 120_000);

  // The machine goes down: worker killed, server stopped; then both come back.
  worker.kill('SIGKILL');
  await exited(worker);
  env = await temporal.restart();
  worker = spawnWorkerProcess({ ...workerEnv, TEMPORAL_ADDRESS: env.address });

  const report = await waitForReport(env.client.workflow.getHandle(handle.workflowId));
  const enrollments = report.resources.find((r) => r.resource === 'enrollments');
  assert.equal(report.status, 'completed', enrollments?.error);
  assert.equal(enrollments?.parents?.done, COURSES);
  assert.ok(doneAtKill < COURSES, `the crash landed mid-fan-out (${doneAtKill} of ${COURSES} done)`);

  const truth = simulator.data.list('courses').flatMap((c) => simulator.truth(`/api/v1/courses/${c.id}/enrollments`));
  const stored = await queryRows<{ id: string }>(db.url, 'SELECT id FROM public.enrollments');
  assert.deepEqual(stored.map((r) => Number(r.id)).sort((a, b) => a - b), truth.map((r) => r.id).sort((a, b) => a - b));

  // A course is read once, plus at most the page in flight at the crash and a spot-check re-fetch.
  for (const course of simulator.data.list('courses')) {
    const pages = Math.max(1, Math.ceil(simulator.truth(`/api/v1/courses/${course.id}/enrollments`).length / 100));
    const requests = simulator.stats.byPath[`/api/v1/courses/${course.id}/enrollments`] ?? 0;
    assert.ok(requests <= pages + 2, `course ${course.id}: ${requests} requests for ${pages} pages`);
  }
}, TEST_TIMEOUT_MS);
