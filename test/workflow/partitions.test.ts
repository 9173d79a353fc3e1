import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startExport, waitForReport } from '../../src/client/exports';
import { FailureType } from '../../src/failures';
import { ScriptedSource, scriptedPages, scriptedSpec, withScriptedWorkers } from '../helpers/scripted-activities';
import { startTemporal } from '../helpers/temporal';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTemporal();
});

afterAll(async () => {
  await env?.teardown();
});

describe('partitions', () => {
  it('a failed partition fails only itself: the others complete, and the report names the one that failed', async () => {
    const source = new ScriptedSource({
      traversals: {
        'students/p0': scriptedPages(2, () => 7),
        'students/p1': [{ records: 7 }, { records: 7, fails: { type: FailureType.PageFormatError, final: true, times: Infinity } }],
        'students/p2': scriptedPages(3, () => 5),
      },
      partitions: { students: ['token-a', 'token-b', 'token-c'] },
    });
    // Ed-Fi partitions: listPartitions hands out a start token each, paged on by its own traversal.
    const spec = scriptedSpec('partitions', [{ name: 'students', path: '/ed-fi/students', primaryKey: ['id'], partitions: { count: 3, maxParallel: 3 } }], { preset: 'edfi' });
    await withScriptedWorkers(env, 'partitions', source, async () => {
      const handle = await startExport(env.client, spec, { taskQueue: 'partitions' });
      const report = await waitForReport(handle);
      assert.deepEqual(source.partitionRequests, [{ resource: 'students', count: 3 }]);
      const students = report.resources[0];
      assert.equal(report.status, 'failed');
      assert.equal(students?.status, 'failed');
      assert.deepEqual(students?.partitions?.map((p) => p.status), ['completed', 'failed', 'completed']);
      assert.equal(students?.partitions?.[1]?.resource, 'students/p1');
      assert.match(students?.partitions?.[1]?.error ?? '', /scripted PageFormatError on students\/p1 page 2/);
      assert.match(students?.error ?? '', /1 of 3 partitions failed: students\/p1: scripted PageFormatError/);
      // The report's counters are the partitions' that finished; the failed one's first page is not among them.
      assert.equal(students?.recordsFetched, 2 * 7 + 3 * 5);
      assert.equal(students?.pages, 5);
      // Each partition starts from its own token, and the failed one stopped at its page: nothing was retried.
      const firstCursors = ['students/p0', 'students/p1', 'students/p2'].map((t) => source.fetchesOf(t).find((c) => c.page === 1)?.cursor);
      assert.deepEqual(firstCursors, ['token-a', 'token-b', 'token-c'].map((token) => ({ kind: 'token', token })));
      assert.equal(source.fetchesOf('students/p1').filter((c) => c.page === 2).length, 1);
      assert.equal(source.fetchesOf('students/p2').length, 3);
    });
  }, 30_000);
});
