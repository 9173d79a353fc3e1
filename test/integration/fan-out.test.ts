import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import { retryFailedSpec } from '../../src/cli/retry-failed';
import { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { queryRows } from '../helpers/postgres';
import { startHarness, type Harness } from '../helpers/harness';
import { TOKEN_ENV } from '../helpers/specs';
import { allRunHistories, assertReplays, recordHistoriesIfAsked } from '../helpers/history';
import { TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';

const TASK_QUEUE = 'fan-out-test';
/** Course 99 sorts late among "1", "10", "100" …: the walk has not reached it when it is deleted. */
const DELETED_COURSE = 99;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 10 });
});

afterAll(async () => {
  await harness?.stop();
});

function canvas(simulator: LmsSimulator, name: string, resources: ExportSpecInput['resources']): ExportSpecInput {
  return {
    name,
    source: { preset: 'canvas', baseUrl: `${simulator.url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV }, requestBudget: { requestsPerSecond: 500 } },
    resources,
    sink: { kind: 'postgres', url: harness.db.url, schema: name.replace(/-/g, '_') },
  };
}

async function storedIds(table: string, column = 'id'): Promise<number[]> {
  const rows = await queryRows<{ v: string }>(harness.db.url, `SELECT ${column} AS v FROM ${table}`);
  return rows.map((r) => Number(r.v)).sort((a, b) => a - b);
}

describe('nested resources', () => {
  it('exports 500 courses → enrollments equal to truth, and reports a course deleted mid-run without failing', async () => {
    const simulator = new LmsSimulator({
      users: 2_000,
      courses: 500,
      enrollmentsPerCourseMax: 200,
      mutationPlan: [{ atRequest: 300, collection: 'courses', delete: [DELETED_COURSE] }],
    });
    await simulator.start();
    try {
      const spec = canvas(simulator, 'fan-out', [
        { name: 'courses', path: '/courses', primaryKey: ['id'] },
        { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id' } },
      ]);
      const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
      const enrollments = report.resources.find((r) => r.resource === 'enrollments');
      assert.equal(report.status, 'completed', enrollments?.error);
      assert.equal(enrollments?.parents?.done, 500);
      assert.equal(enrollments?.parents?.total, 500);
      assert.deepEqual(enrollments?.parents?.gone.map((g) => g.key), [String(DELETED_COURSE)]);
      assert.match(enrollments?.parents?.gone[0]?.reason ?? '', /404 on GET \/api\/v1\/courses\/99\/enrollments/);
      assert.equal(enrollments?.parents?.failedCount, 0);

      const courses = simulator.data.list('courses');
      assert.equal(courses.length, 499);
      const truth = courses.flatMap((c) => simulator.truth(`/api/v1/courses/${c.id}/enrollments`));
      assert.ok(truth.length > 40_000, `${truth.length} enrollments`);
      assert.ok(courses.some((c) => simulator.truth(`/api/v1/courses/${c.id}/enrollments`).length === 0), 'some courses are empty');
      const stored = await storedIds('fan_out.enrollments');
      assert.deepEqual(stored, truth.map((r) => r.id).sort((a, b) => a - b), 'every course\'s rows, no duplicates');
      // Each stored row carries its parent key.
      const mismatched = await queryRows(harness.db.url, "SELECT id FROM fan_out.enrollments WHERE (_record->>'course_id') IS NULL");
      assert.deepEqual(mismatched, []);
      assert.equal(enrollments?.recordsFetched, truth.length);
    } finally {
      await simulator.stop();
    }
  }, TEST_TIMEOUT_MS);

  it('against the Canvas bucket at 200 ms latency runs 8 children at once and is never throttled at default settings', async () => {
    const simulator = new LmsSimulator({ users: 500, courses: 120, enrollmentsPerCourseMax: 40, latencyMs: 200, canvasBucket: {} });
    await simulator.start();
    try {
      const spec: ExportSpecInput = {
        name: 'fan-out-bucket',
        source: { preset: 'canvas', baseUrl: `${simulator.url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV } },
        resources: [
          { name: 'courses', path: '/courses', primaryKey: ['id'] },
          { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id' } },
        ],
        sink: { kind: 'postgres', url: harness.db.url, schema: 'fan_out_bucket' },
      };
      const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
      assert.equal(report.status, 'completed');
      const arrivals = simulator.stats.arrivals;
      const seconds = ((arrivals[arrivals.length - 1] ?? 0) - (arrivals[0] ?? 0)) / 1000;
      console.log(`fan-out under the Canvas bucket: ${arrivals.length} requests in ${seconds.toFixed(1)} s = ${((arrivals.length - 1) / seconds).toFixed(1)}/s, peak ${simulator.stats.peakInFlight} in flight, ${simulator.stats.throttled.length} throttled`);
      assert.equal(simulator.stats.throttled.length, 0);
      assert.ok(simulator.stats.peakInFlight >= 8, `peak in flight ${simulator.stats.peakInFlight}`);
      const truth = simulator.data.list('courses').flatMap((c) => simulator.truth(`/api/v1/courses/${c.id}/enrollments`));
      assert.deepEqual(await storedIds('fan_out_bucket.enrollments'), truth.map((r) => r.id).sort((a, b) => a - b));
    } finally {
      await simulator.stop();
    }
  }, TEST_TIMEOUT_MS);

  it('records a course closed to us (403) as gone, fails only a broken course, and --retry-failed runs just that one', async () => {
    const simulator = new LmsSimulator({ users: 200, courses: 30, enrollmentsPerCourseMax: 30 });
    simulator.refusals = { '/api/v1/courses/7/enrollments': 403, '/api/v1/courses/12/enrollments': 400 };
    await simulator.start();
    try {
      const spec = canvas(simulator, 'fan-out-retry', [
        { name: 'courses', path: '/courses', primaryKey: ['id'] },
        { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id' } },
      ]);
      const first = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE, workflowId: 'fan-out-retry-1' }));
      const enrollments = first.resources.find((r) => r.resource === 'enrollments');
      assert.equal(first.status, 'failed');
      assert.deepEqual(enrollments?.parents?.gone.map((g) => g.key), ['7']);
      assert.match(enrollments?.parents?.gone[0]?.reason ?? '', /403 on GET \/api\/v1\/courses\/7\/enrollments/);
      assert.deepEqual(enrollments?.parents?.failed.map((f) => f.key), ['12']);
      assert.match(enrollments?.error ?? '', /^1 of 30 courses failed: 12: .*400 on GET \/api\/v1\/courses\/12\/enrollments\?per_page=\d+: invalid request for this course/);
      const byCourse = (id: number) => simulator.truth(`/api/v1/courses/${id}/enrollments`).map((r) => r.id);
      const others = simulator.data.list('courses').filter((c) => c.id !== 7 && c.id !== 12).flatMap((c) => byCourse(c.id));
      assert.deepEqual(await storedIds('fan_out_retry.enrollments'), others.sort((a, b) => a - b), 'every other course landed');

      // The course is fixed; only it is read again.
      simulator.refusals = { '/api/v1/courses/7/enrollments': 403 };
      const before = simulator.stats.pageRequests;
      const retry = await waitForReport(await startExport(harness.env.client, retryFailedSpec(spec, first), { taskQueue: TASK_QUEUE, workflowId: 'fan-out-retry-2' }));
      assert.equal(retry.status, 'completed');
      assert.deepEqual(retry.resources.map((r) => [r.resource, r.parents?.done]), [['enrollments', 1]]);
      assert.ok(simulator.stats.pageRequests - before <= 4, 'one course: its page(s) and the spot check');
      assert.deepEqual(await storedIds('fan_out_retry.enrollments'), [...others, ...byCourse(12)].sort((a, b) => a - b));
    } finally {
      await simulator.stop();
    }
  }, TEST_TIMEOUT_MS);

  it('walks three levels: courses → assignments → submissions, equal to truth', async () => {
    const simulator = new LmsSimulator({ users: 50, courses: 6, enrollmentsPerCourse: 0, submissionsPerCourse: 0, assignmentsPerCourse: 3, submissionsPerAssignment: 7 });
    await simulator.start();
    try {
      const spec = canvas(simulator, 'three-levels', [
        { name: 'submissions', path: '/courses/{course_id}/assignments/{assignment_id}/submissions', primaryKey: ['id'], parent: { resource: 'assignments', as: 'assignment_id' } },
        { name: 'assignments', path: '/courses/{course_id}/assignments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id' } },
        { name: 'courses', path: '/courses', primaryKey: ['id'] },
      ]);
      const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
      assert.equal(report.status, 'completed', JSON.stringify(report.resources.map((r) => r.error)));
      assert.deepEqual(await storedIds('three_levels.courses'), simulator.data.list('courses').map((r) => r.id));
      assert.deepEqual(await storedIds('three_levels.assignments'), simulator.data.list('assignments').map((r) => r.id));
      assert.deepEqual(await storedIds('three_levels.submissions'), simulator.data.list('submissions').map((r) => r.id));
      assert.equal(simulator.data.list('submissions').length, 6 * 3 * 7);
      assert.equal(report.resources.find((r) => r.resource === 'submissions')?.parents?.done, 18);

      // The run and its fan-outs replay on today's workflow code.
      const histories = [
        ...(await allRunHistories(harness.env.client, report.workflowId)),
        ...(await allRunHistories(harness.env.client, `${report.workflowId}-assignments`)),
      ];
      assert.equal(histories.length, 2);
      recordHistoriesIfAsked(histories);
      await assertReplays(await workflowBundle(), histories);
    } finally {
      await simulator.stop();
    }
  }, TEST_TIMEOUT_MS);
});
