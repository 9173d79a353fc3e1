import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import type { ExportPlan } from '../../src/cli/plan';
import { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { startHarness, type Harness } from '../helpers/harness';
import { TOKEN_ENV } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

const TASK_QUEUE = 'plan-test';
const LMS_EXPORT = join(__dirname, '..', '..', 'bin', 'lms-export.js');
const LATENCY_MS = 50;

let harness: Harness;
let simulator: LmsSimulator;
const dir = mkdtempSync(join(tmpdir(), 'lms-export-plan-'));

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 10 });
  // Seeded: 60 courses with 0 to 150 enrollments each (every 25th none), answers 50 ms late.
  simulator = new LmsSimulator({ users: 1_200, courses: 60, enrollmentsPerCourseMax: 150, latencyMs: LATENCY_MS });
  await simulator.start();
});

afterAll(async () => {
  await simulator?.stop();
  await harness?.stop();
});

async function plan(spec: ExportSpecInput, extra: string[] = []): Promise<ExportPlan> {
  const file = join(dir, `${spec.name}.json`);
  writeFileSync(file, JSON.stringify(spec));
  const { stdout } = await promisify(execFile)(process.execPath, [LMS_EXPORT, 'plan', file, '--json', ...extra], { env: { ...process.env, TEMPORAL_ADDRESS: harness.env.address } });
  return JSON.parse(stdout) as ExportPlan;
}

function canvas(name: string, resources: ExportSpecInput['resources']): ExportSpecInput {
  return {
    name,
    // A budget far above what the round trips allow: the estimate has to come from the latency.
    source: { preset: 'canvas', baseUrl: `${simulator.url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV }, requestBudget: { requestsPerSecond: 500 } },
    resources,
    sink: { kind: 'postgres', url: harness.db.url, schema: name.replace(/-/g, '_') },
  };
}

const COURSES = { name: 'courses', path: '/courses', primaryKey: ['id'] };
const ENROLLMENTS = { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id' } };

describe('lms-export plan of nested resources', () => {
  it('plans a fan-out from the parent count and sampled parents, close to the requests and time of a real run', async () => {
    const spec = canvas('plan-nested', [{ name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 40 }, COURSES, ENROLLMENTS]);
    const before = { requests: simulator.stats.pageRequests, notFound: simulator.stats.notFound };
    // Canvas reports no totals: the users' size is the operator's word; the courses fit on one page.
    const planned = await plan(spec, ['--estimate', 'users=1200']);
    const planRequests = simulator.stats.pageRequests - before.requests;
    assert.equal(simulator.stats.notFound, before.notFound, 'no request to a path with its placeholder left in');
    const enrollments = planned.resources.find((r) => r.resource === 'enrollments');
    assert.equal(enrollments?.parents?.count, 60, 'the parent count is the courses plan\'s rows');
    assert.equal(enrollments?.parents?.from, 'plan');
    assert.ok((enrollments?.parents?.sampled ?? 0) >= 5, `sampled ${enrollments?.parents?.sampled} parents`);
    assert.ok(planned.latencyMs >= LATENCY_MS && planned.latencyMs < LATENCY_MS * 4, `measured latency ${planned.latencyMs} ms`);
    assert.equal(planned.boundBy, 'latency');

    const started = Date.now();
    const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
    const runSeconds = (Date.now() - started) / 1000;
    const runRequests = simulator.stats.pageRequests - before.requests - planRequests;
    assert.equal(report.status, 'completed');
    const truth = simulator.data.list('courses').flatMap((c) => simulator.truth(`/api/v1/courses/${c.id}/enrollments`));
    console.log(`plan: ${planned.requests} requests, ${planned.seconds?.toFixed(1)} s (${planRequests} sizing requests, latency ${planned.latencyMs} ms); run: ${runRequests} requests, ${runSeconds.toFixed(1)} s; enrollments planned ${enrollments?.rows}, stored ${truth.length}`);
    const ratio = (planned.requests ?? 0) / runRequests;
    assert.ok(ratio > 0.85 && ratio < 1.15, `planned ${planned.requests} requests, the run sent ${runRequests}`);
    const timeRatio = (planned.seconds ?? 0) / runSeconds;
    assert.ok(timeRatio > 0.5 && timeRatio < 2, `planned ${planned.seconds} s, the run took ${runSeconds} s`);
  }, TEST_TIMEOUT_MS);

  it('plans three levels (courses → assignments → submissions) with the requests a real run sends', async () => {
    const levels = new LmsSimulator({ users: 5, courses: 6, enrollmentsPerCourse: 0, submissionsPerCourse: 0, assignmentsPerCourse: 3, submissionsPerAssignment: 7 });
    await levels.start();
    try {
      const spec: ExportSpecInput = {
        ...canvas('plan-levels', [
          COURSES,
          { name: 'assignments', path: '/courses/{course_id}/assignments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id' } },
          { name: 'submissions', path: '/courses/{course_id}/assignments/{assignment_id}/submissions', primaryKey: ['id'], parent: { resource: 'assignments', as: 'assignment_id' } },
        ]),
        source: { preset: 'canvas', baseUrl: `${levels.url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV } },
      };
      const planned = await plan(spec);
      assert.equal(levels.stats.notFound, 0, 'every sampled path had its placeholders filled');
      assert.deepEqual(planned.resources.map((r) => [r.resource, r.rows, r.parents?.count ?? null]), [['courses', 6, null], ['assignments', 18, 6], ['submissions', 126, 18]]);
      const before = levels.stats.pageRequests;
      const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
      assert.equal(report.status, 'completed');
      assert.equal(planned.requests, levels.stats.pageRequests - before);
    } finally {
      await levels.stop();
    }
  }, TEST_TIMEOUT_MS);

  it('counts the parents stored in the sink for parent.from "sink"', async () => {
    const spec = canvas('plan-nested', [{ ...ENROLLMENTS, parent: { ...ENROLLMENTS.parent, from: 'sink' as const } }]);
    const planned = await plan(spec);
    const enrollments = planned.resources[0];
    assert.equal(enrollments?.parents?.count, 60, 'the courses the first test stored');
    assert.equal(enrollments?.parents?.from, 'sink');
    assert.ok((enrollments?.requests ?? 0) > 60, `${enrollments?.requests} requests: at least one per course`);
  }, TEST_TIMEOUT_MS);
});
