import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startExport, waitForReport } from '../../src/client/exports';
import { FailureType } from '../../src/failures';
import { ScriptedSource, scriptedPages, scriptedSpec, withScriptedWorkers, type FetchCall } from '../helpers/scripted-activities';
import { startTemporal } from '../helpers/temporal';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTemporal();
});

afterAll(async () => {
  await env?.teardown();
});

const share = (course: string): string => `enrollments/course_id=${course}`;

/** The most requests of `calls` in flight at one time. */
function mostAtOnce(calls: FetchCall[]): number {
  return Math.max(...calls.map((call) => calls.filter((other) => other.at <= call.at && (other.endedAt ?? Infinity) > call.at).length));
}

describe('fan-out over parents', () => {
  it('reads each parent on its own: empty and one-page parents in the fan-out, many-page ones in a child, a failed or gone parent recorded by key', async () => {
    const source = new ScriptedSource({
      traversals: {
        courses: [{ records: 6 }],
        [share('c1-empty')]: [{ records: 0 }],
        [share('c2-one')]: [{ records: 4 }],
        [share('c3-many')]: scriptedPages(3, (page) => page * 10),
        [share('c4-broken')]: [{ records: 5, fails: { type: FailureType.BadRequest, final: true, times: Infinity } }],
        [share('c5-gone')]: [{ records: 5, fails: { type: FailureType.NotFound, final: true, times: Infinity } }],
        [share('c6-many')]: scriptedPages(2),
      },
      parentKeys: { courses: ['c1-empty', 'c2-one', 'c3-many', 'c4-broken', 'c5-gone', 'c6-many'] },
      fetchLatencyMs: 30,
    });
    const spec = scriptedSpec('fan-out-parents', [
      { name: 'courses', path: '/courses', primaryKey: ['id'] },
      { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id', maxParallel: 2 } },
    ]);
    await withScriptedWorkers(env, 'fan-out-parents', source, async () => {
      const handle = await startExport(env.client, spec, { taskQueue: 'fan-out-parents' });
      const report = await waitForReport(handle);
      const [courses, enrollments] = report.resources;
      assert.equal(courses?.status, 'completed', courses?.error);
      // One parent failed: the resource (and so the run) fails, every other parent is done.
      assert.equal(report.status, 'failed');
      assert.equal(enrollments?.status, 'failed');
      assert.deepEqual(enrollments?.parents?.failed.map((f) => f.key), ['c4-broken']);
      assert.match(enrollments?.parents?.failed[0]?.reason ?? '', /scripted BadRequest on enrollments\/course_id=c4-broken page 1/);
      assert.deepEqual(enrollments?.parents?.gone.map((g) => g.key), ['c5-gone']);
      assert.match(enrollments?.error ?? '', /c4-broken/);
      assert.deepEqual([enrollments?.parents?.done, enrollments?.parents?.total, enrollments?.parents?.children], [6, 6, 2]);
      assert.equal(enrollments?.recordsFetched, 0 + 4 + (10 + 20 + 30) + 20);
      assert.equal(enrollments?.pages, 1 + 1 + 3 + 2);

      // The fan-out reads every first page itself; only the parents with a next page get a traversal of their own.
      const fanOutId = `${handle.workflowId}-enrollments`;
      const readers = (course: string): string[] => [...new Set(source.fetchesOf(share(course)).map((c) => `${c.page}:${c.workflowId}`))];
      assert.deepEqual(readers('c1-empty'), [`1:${fanOutId}`]);
      assert.deepEqual(readers('c2-one'), [`1:${fanOutId}`]);
      assert.deepEqual(readers('c3-many'), [`1:${fanOutId}`, `2:${fanOutId}-c3-many`, `3:${fanOutId}-c3-many`]);
      assert.deepEqual(readers('c6-many'), [`1:${fanOutId}`, `2:${fanOutId}-c6-many`]);
      // A final failure is not retried.
      assert.equal(source.fetchesOf(share('c4-broken')).length, 1);
      assert.equal(source.fetchesOf(share('c5-gone')).length, 1);

      const firstPages = source.fetches.filter((c) => c.traversal.startsWith('enrollments/') && c.page === 1);
      assert.ok(mostAtOnce(firstPages) <= 2, 'parents are read at most maxParallel at once');
    });
  }, 30_000);
});
