import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startExport, waitForReport } from '../../src/client/exports';
import { fanOutProgressQuery, pauseSignal, resumeSignal, runProgressQuery } from '../../src/workflows/definitions';
import { ScriptedSource, scriptedPages, scriptedSpec, SOON_MS, withScriptedWorkers } from '../helpers/scripted-activities';
import { startTemporal } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { progressOf } from '../helpers/progress';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTemporal();
});

afterAll(async () => {
  await env?.teardown();
});

/**
 * Holds `traversal`'s page 3 until the run is paused and the traversal (workflow `traversalId`) says so, then lets
 * it through and waits until the paused traversal has persisted it with no request outstanding.
 */
async function pauseAtPageThree(source: ScriptedSource, runId: string, traversal: string, traversalId: string): Promise<void> {
  const release = source.hold(traversal, 3);
  await waitFor('page 3 to be requested', () => source.fetchesOf(traversal).some((c) => c.page === 3), SOON_MS);
  await env.client.workflow.getHandle(runId).signal(pauseSignal);
  await waitFor('the traversal to be paused', async () => (await progressOf(env.client.workflow.getHandle(traversalId)))?.paused, SOON_MS);
  release();
  await waitFor('page 3 persisted, nothing in flight', async () => {
    const progress = await progressOf(env.client.workflow.getHandle(traversalId));
    return progress?.paused === true && progress.fetching === false && progress.pages === 3;
  }, SOON_MS);
}

describe('pause and resume reach the traversals a run started', () => {
  it('a paused run holds its traversal between pages, and resume lets it finish', async () => {
    const source = new ScriptedSource({ traversals: { users: scriptedPages(6) } });
    const spec = scriptedSpec('pause-run', [{ name: 'users', path: '/users', primaryKey: ['id'] }]);
    await withScriptedWorkers(env, 'pause-run', source, async () => {
      const handle = await startExport(env.client, spec, { taskQueue: 'pause-run' });
      const traversalId = `${handle.workflowId}-users`;
      await pauseAtPageThree(source, handle.workflowId, 'users', traversalId);
      assert.equal((await handle.query(runProgressQuery)).paused, true);
      // The page in flight when the pause came is finished; no next page was asked for.
      assert.deepEqual(source.fetchesOf('users').map((c) => c.page), [1, 2, 3]);
      const resumedAt = Date.now();
      await handle.signal(resumeSignal);
      const report = await waitForReport(handle);
      assert.equal(report.status, 'completed', report.resources[0]?.error);
      assert.equal(report.resources[0]?.recordsFetched, 60);
      assert.deepEqual(source.fetchesOf('users').map((c) => c.page), [1, 2, 3, 4, 5, 6]);
      assert.ok((source.fetchesOf('users')[3]?.at ?? 0) >= resumedAt, 'page 4 was asked for only after the resume');
      assert.ok((report.resources[0]?.waits.pausedMs ?? 0) > 0, 'the pause counts as paused time');
    });
  }, 30_000);

  it('a paused run pauses its fan-out, which pauses the traversal it started for a parent', async () => {
    const enrollments = 'enrollments/course_id=c1';
    const source = new ScriptedSource({
      traversals: { courses: [{ records: 2 }], [enrollments]: scriptedPages(6), 'enrollments/course_id=c2': scriptedPages(1) },
      parentKeys: { courses: ['c1', 'c2'] },
    });
    const spec = scriptedSpec('pause-fan-out', [
      { name: 'courses', path: '/courses', primaryKey: ['id'] },
      { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id' } },
    ]);
    await withScriptedWorkers(env, 'pause-fan-out', source, async () => {
      const handle = await startExport(env.client, spec, { taskQueue: 'pause-fan-out' });
      const fanOutId = `${handle.workflowId}-enrollments`;
      // The fan-out reads c1's first page itself; the traversal it then starts for c1 reads pages 2 to 6.
      const traversalId = `${fanOutId}-c1`;
      await pauseAtPageThree(source, handle.workflowId, enrollments, traversalId);
      assert.equal((await env.client.workflow.getHandle(fanOutId).query(fanOutProgressQuery)).paused, true);
      assert.deepEqual(source.fetchesOf(enrollments).map((c) => [c.page, c.workflowId]), [[1, fanOutId], [2, traversalId], [3, traversalId]]);
      const resumedAt = Date.now();
      await handle.signal(resumeSignal);
      const report = await waitForReport(handle);
      assert.equal(report.status, 'completed', report.resources.map((r) => r.error).join('; '));
      assert.equal(report.resources[1]?.recordsFetched, 70);
      assert.deepEqual(source.fetchesOf(enrollments).map((c) => c.page), [1, 2, 3, 4, 5, 6]);
      assert.ok((source.fetchesOf(enrollments)[3]?.at ?? 0) >= resumedAt, 'page 4 was asked for only after the resume');
    });
  }, 30_000);
});
