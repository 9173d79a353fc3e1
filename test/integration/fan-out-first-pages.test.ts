import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import { retryFailedSpec } from '../../src/cli/retry-failed';
import { LmsSimulator, type SimulatorOptions } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { fanOutProgressQuery, pauseSignal, resumeSignal } from '../../src/workflows/definitions';
import { startHarness, type Harness } from '../helpers/harness';
import { allRunHistories, assertReplays, recordHistoriesIfAsked } from '../helpers/history';
import { queryRows } from '../helpers/postgres';
import { TOKEN_ENV } from '../helpers/specs';
import { TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { exited, spawnWorkerProcess } from '../helpers/worker-process';

const TASK_QUEUE = 'fan-out-first-pages';
/** Pages of this many enrollments: courses of 0–25 are empty, one page or several. */
const PAGE_SIZE = 10;

let harness: Harness;
const spawned: ChildProcess[] = [];

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 10 });
});

afterAll(async () => {
  for (const worker of spawned) worker.kill('SIGKILL');
  await Promise.all(spawned.map(exited));
  await harness?.stop();
});

async function started(options: SimulatorOptions): Promise<LmsSimulator> {
  const simulator = new LmsSimulator({ users: 300, enrollmentsPerCourseMax: 25, ...options });
  await simulator.start();
  return simulator;
}

function canvasSpec(simulator: LmsSimulator, name: string, parent: { maxParallel?: number } = {}, execution: ExportSpecInput['execution'] = undefined): ExportSpecInput {
  return {
    name,
    source: { preset: 'canvas', baseUrl: `${simulator.url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV }, requestBudget: { requestsPerSecond: 500 } },
    resources: [
      { name: 'courses', path: '/courses', primaryKey: ['id'] },
      { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], pageSize: PAGE_SIZE, parent: { resource: 'courses', as: 'course_id', ...parent } },
    ],
    sink: { kind: 'postgres', url: harness.db.url, schema: name.replace(/-/g, '_') },
    ...(execution === undefined ? {} : { execution }),
  };
}

const coursePath = (id: number): string => `/api/v1/courses/${id}/enrollments`;

/** The enrollments of each course the simulator holds, and the pages a traversal reads for them (an empty course is one page). */
function truthByCourse(simulator: LmsSimulator): Map<number, number[]> {
  return new Map(simulator.data.list('courses').map((c) => [c.id, simulator.truth(coursePath(c.id)).map((r) => r.id)]));
}

const pagesOf = (enrollments: number): number => Math.max(1, Math.ceil(enrollments / PAGE_SIZE));

async function storedIds(table: string): Promise<number[]> {
  const rows = await queryRows<{ id: string }>(harness.db.url, `SELECT id FROM ${table}`);
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

const sorted = (ids: number[]): number[] => [...ids].sort((a, b) => a - b);

/** The child workflows a fan-out started: the parent keys whose traversal went on past the first page. */
async function childKeys(fanOutWorkflowId: string): Promise<string[]> {
  const keys = new Set<string>();
  for await (const execution of harness.env.client.workflow.list({ query: `ParentWorkflowId = '${fanOutWorkflowId}'` })) {
    keys.add(decodeURIComponent(execution.workflowId.slice(fanOutWorkflowId.length + 1)));
  }
  return [...keys].sort((a, b) => Number(a) - Number(b));
}

describe('a fan-out reads first pages itself', () => {
  it('stores empty, one-page and many-page courses exactly, starting a child workflow only for courses with a second page', async () => {
    const simulator = await started({ courses: 6 });
    // Course 2 has no enrollments at all: its one page is empty.
    for (const row of simulator.data.list('enrollments').filter((r) => r['course_id'] === 2)) simulator.data.delete('enrollments', row.id);
    try {
      const truth = truthByCourse(simulator);
      const counts = [...truth.values()].map((ids) => ids.length);
      assert.ok(counts.some((n) => n === 0) && counts.some((n) => n > 0 && n <= PAGE_SIZE) && counts.some((n) => n > PAGE_SIZE), `a mix of courses: ${counts.join(', ')}`);

      const report = await waitForReport(await startExport(harness.env.client, canvasSpec(simulator, 'first-pages'), { taskQueue: TASK_QUEUE }));
      const enrollments = report.resources.find((r) => r.resource === 'enrollments');
      assert.equal(report.status, 'completed', enrollments?.error);
      const all = [...truth.values()].flat();
      assert.deepEqual(await storedIds('first_pages.enrollments'), sorted(all), "every course's rows, no duplicates");

      const manyPage = [...truth].filter(([, ids]) => ids.length > PAGE_SIZE).map(([id]) => String(id));
      // Listing is eventually consistent: give it a moment to show every child before comparing.
      const listed = await waitFor('the children listed', async () => {
        const keys = await childKeys(`${report.workflowId}-enrollments`);
        return keys.length >= manyPage.length ? keys : undefined;
      }, 10_000);
      assert.deepEqual(listed, manyPage, 'a child workflow for each course with a second page, none for the others');
      assert.equal(enrollments?.parents?.children, manyPage.length);
      assert.deepEqual([enrollments?.parents?.done, enrollments?.parents?.total], [truth.size, truth.size]);

      // The counters add up over the pages read by the fan-out and by its children, each page once.
      const pages = [...truth.values()].reduce((n, ids) => n + pagesOf(ids.length), 0);
      assert.deepEqual(
        { pages: enrollments?.pages, records: enrollments?.recordsFetched, inserted: enrollments?.inserted, quarantined: enrollments?.quarantined },
        { pages, records: all.length, inserted: all.length, quarantined: 0 },
      );
      for (const [id, ids] of truth) {
        const requests = simulator.stats.byPath[coursePath(id)] ?? 0;
        assert.ok(requests >= pagesOf(ids.length) && requests <= pagesOf(ids.length) + 1, `course ${id}: ${requests} requests for ${pagesOf(ids.length)} pages (a spot check may read one again)`);
      }
      // One audit row per page, under the course's traversal name, numbered on from the fan-out's page 1 into the child's.
      const audit = await queryRows<{ traversal: string; pages: string; last: string }>(
        harness.db.url,
        "SELECT traversal, count(*) AS pages, max(page_number) AS last FROM first_pages._lms_page_audit WHERE traversal LIKE 'enrollments/%' GROUP BY traversal",
      );
      assert.deepEqual(
        audit.map((a) => [a.traversal, Number(a.pages), Number(a.last)]).sort(),
        [...truth].map(([id, ids]) => [`enrollments/course_id=${id}`, pagesOf(ids.length), pagesOf(ids.length)]).sort(),
      );

      // The run, its fan-out and a child that went on from a first page replay on today's workflow code.
      const histories = [
        ...(await allRunHistories(harness.env.client, report.workflowId)),
        ...(await allRunHistories(harness.env.client, `${report.workflowId}-enrollments`)),
        ...(await allRunHistories(harness.env.client, `${report.workflowId}-enrollments-${manyPage[0]}`)).slice(0, 1),
      ];
      assert.equal(histories.length, 3);
      recordHistoriesIfAsked(histories);
      await assertReplays(await workflowBundle(), histories);
    } finally {
      await simulator.stop();
    }
  }, TEST_TIMEOUT_MS);

  it('sends no request while paused between parents, then finishes exact with the pause counted', async () => {
    // One-page courses only, slowly answered: the fan-out reads every one itself.
    const simulator = await started({ courses: 60, enrollmentsPerCourseMax: PAGE_SIZE, latencyMs: 150 });
    try {
      const handle = await startExport(harness.env.client, canvasSpec(simulator, 'first-pages-paused', { maxParallel: 2 }), { taskQueue: TASK_QUEUE });
      const fanOut = harness.env.client.workflow.getHandle(`${handle.workflowId}-enrollments`);
      await waitFor('five courses read', async () => ((await fanOut.query(fanOutProgressQuery).catch(() => undefined))?.parentsDone ?? 0) >= 5, 60_000);
      await handle.signal(pauseSignal);
      const atPause = await waitFor('the fan-out paused with no request outstanding', async () => {
        const progress = await fanOut.query(fanOutProgressQuery).catch(() => undefined);
        return progress?.paused === true && progress.fetching === 0 && simulator.stats.inFlight === 0 ? progress : undefined;
      });
      const requestsAtPause = simulator.stats.pageRequests;
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // an observation window, not a wait for a condition
      assert.equal(simulator.stats.pageRequests, requestsAtPause, 'no request while paused');
      const stillPaused = await fanOut.query(fanOutProgressQuery);
      assert.ok(stillPaused.parentsDone <= atPause.parentsDone + 2 && stillPaused.parentsDone < 60, `the walk stopped (${stillPaused.parentsDone} of 60 done)`);

      await handle.signal(resumeSignal);
      const report = await waitForReport(handle);
      const enrollments = report.resources.find((r) => r.resource === 'enrollments');
      assert.equal(report.status, 'completed', enrollments?.error);
      assert.equal(enrollments?.parents?.children, 0);
      assert.deepEqual(await storedIds('first_pages_paused.enrollments'), sorted([...truthByCourse(simulator).values()].flat()));
      // Both lanes waited out the pause before their next course.
      const pausedMs = enrollments?.waits.pausedMs ?? 0;
      assert.ok(pausedMs >= 2 * 2_000, `the pause is accounted as paused time (${pausedMs} ms)`);
    } finally {
      await simulator.stop();
    }
  }, TEST_TIMEOUT_MS);

  it('records gone and failed courses as before, a failing source included, and --retry-failed reads only the failed ones', async () => {
    const simulator = await started({ courses: 30 });
    // 7 closed to us, 9 deleted, 12 refused as invalid, 15 failing with 500s until its circuit gives up.
    simulator.refusals = { [coursePath(7)]: 403, [coursePath(9)]: 404, [coursePath(12)]: 400, [coursePath(15)]: 500 };
    try {
      const spec = canvasSpec(simulator, 'first-pages-failed', {}, { circuitBreaker: { failures: 2, coolDownSeconds: 1, maxOpenings: 1 } });
      const first = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE, workflowId: 'first-pages-failed-1' }));
      const enrollments = first.resources.find((r) => r.resource === 'enrollments');
      assert.equal(first.status, 'failed');
      const reasons = (list: Array<{ key: string; reason: string }> | undefined) => Object.fromEntries((list ?? []).map((o) => [o.key, o.reason]));
      const gone = reasons(enrollments?.parents?.gone);
      const failed = reasons(enrollments?.parents?.failed);
      assert.deepEqual(Object.keys(gone).sort(), ['7', '9']);
      assert.match(gone['7'] ?? '', /403 on GET \/api\/v1\/courses\/7\/enrollments/);
      assert.match(gone['9'] ?? '', /404 on GET \/api\/v1\/courses\/9\/enrollments/);
      assert.deepEqual(Object.keys(failed).sort(), ['12', '15']);
      assert.match(failed['12'] ?? '', /400 on GET \/api\/v1\/courses\/12\/enrollments\?per_page=10: invalid request for this course/);
      assert.match(failed['15'] ?? '', /500/);
      assert.deepEqual([enrollments?.parents?.goneCount, enrollments?.parents?.failedCount, enrollments?.parents?.done], [2, 2, 30]);
      assert.match(enrollments?.error ?? '', /^2 of 30 courses failed: /);
      // The failing course was retried, its circuit opened once and probed once, as a child traversal's would.
      assert.equal(simulator.stats.byPath[coursePath(15)], 3);
      const truth = truthByCourse(simulator);
      const others = [...truth].filter(([id]) => ![7, 9, 12, 15].includes(id)).flatMap(([, ids]) => ids);
      assert.deepEqual(await storedIds('first_pages_failed.enrollments'), sorted(others), 'every other course landed');

      // Both courses are fixed; only they are read again.
      simulator.refusals = { [coursePath(7)]: 403, [coursePath(9)]: 404 };
      const requestsBefore = { ...simulator.stats.byPath };
      const retry = await waitForReport(await startExport(harness.env.client, retryFailedSpec(spec, first), { taskQueue: TASK_QUEUE, workflowId: 'first-pages-failed-2' }));
      assert.equal(retry.status, 'completed', retry.resources[0]?.error);
      assert.deepEqual(retry.resources.map((r) => [r.resource, r.parents?.done]), [['enrollments', 2]]);
      const readAgain = Object.keys(simulator.stats.byPath).filter((path) => simulator.stats.byPath[path] !== requestsBefore[path]);
      assert.deepEqual(readAgain.sort(), [coursePath(12), coursePath(15)].sort(), 'only the failed courses are read');
      assert.deepEqual(await storedIds('first_pages_failed.enrollments'), sorted([...others, ...(truth.get(12) ?? []), ...(truth.get(15) ?? [])]));
    } finally {
      await simulator.stop();
    }
  }, TEST_TIMEOUT_MS);

  it('finishes exact after its worker is SIGKILLed mid-batch, reading no course again beyond the page in flight', async () => {
    const taskQueue = `${TASK_QUEUE}-killed`;
    // More courses than a batch: the walk goes on into a second batch after the restart.
    const courses = 240;
    const simulator = await started({ courses, latencyMs: 20 });
    const environment = { TEMPORAL_ADDRESS: harness.env.address, LMS_EXPORT_TASK_QUEUE: taskQueue, [TOKEN_ENV]: simulator.token };
    try {
      const first = spawnWorkerProcess(environment);
      spawned.push(first);
      const spec = canvasSpec(simulator, 'first-pages-killed', { maxParallel: 4 }, { activityTimeoutSeconds: 5, maxAttempts: 20 });
      const handle = await startExport(harness.env.client, spec, { taskQueue });
      const fanOut = harness.env.client.workflow.getHandle(`${handle.workflowId}-enrollments`);
      const doneAtKill = await waitFor('40 courses done, a page request outstanding', async () => {
        const progress = await fanOut.query(fanOutProgressQuery).catch(() => undefined);
        return progress !== undefined && progress.parentsDone >= 40 && progress.fetching > 0 ? progress.parentsDone : undefined;
      }, 120_000);
      first.kill('SIGKILL');
      await exited(first);
      spawned.push(spawnWorkerProcess(environment));

      const report = await waitForReport(handle);
      const enrollments = report.resources.find((r) => r.resource === 'enrollments');
      assert.equal(report.status, 'completed', enrollments?.error);
      assert.ok(doneAtKill < 200, `the kill landed in the first batch (${doneAtKill} done)`);
      assert.equal(enrollments?.parents?.done, courses);
      const truth = truthByCourse(simulator);
      const all = [...truth.values()].flat();
      assert.deepEqual(await storedIds('first_pages_killed.enrollments'), sorted(all));
      // Counted once per page, whether its persist was replayed or not.
      assert.equal(enrollments?.recordsFetched, all.length);
      assert.equal((enrollments?.inserted ?? 0) + (enrollments?.updated ?? 0) + (enrollments?.unchanged ?? 0), all.length);
      for (const [id, ids] of truth) {
        const requests = simulator.stats.byPath[coursePath(id)] ?? 0;
        assert.ok(requests <= pagesOf(ids.length) + 2, `course ${id}: ${requests} requests for ${pagesOf(ids.length)} pages`);
      }
    } finally {
      await simulator.stop();
    }
  }, TEST_TIMEOUT_MS);
});
