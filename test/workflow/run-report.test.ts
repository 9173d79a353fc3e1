import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startExport, waitForReport } from '../../src/client/exports';
import { FailureType, rootFailure } from '../../src/failures';
import { SCRIPTED_BASE_URL, ScriptedSource, scriptedSpec, withScriptedWorkers } from '../helpers/scripted-activities';
import { startTemporal } from '../helpers/temporal';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTemporal();
});

afterAll(async () => {
  await env?.teardown();
});

/** Three pages of ten, each announcing a collection of 30. */
const USERS = [{ records: 10, total: 30 }, { records: 10, total: 30 }, { records: 10, total: 30 }];

describe('the run report', () => {
  it('ends a clean run with the verdict of the completeness checks, which are given what the traversal saw', async () => {
    const source = new ScriptedSource({ traversals: { users: USERS } });
    const spec = scriptedSpec('report-clean', [{ name: 'users', path: '/users', primaryKey: ['id'] }]);
    await withScriptedWorkers(env, 'report-clean', source, async () => {
      const handle = await startExport(env.client, spec, { taskQueue: 'report-clean' });
      const report = await waitForReport(handle);
      assert.equal(report.status, 'completed', report.resources[0]?.error);
      const users = report.resources[0];
      assert.equal(users?.completeness?.verdict, 'complete');
      assert.deepEqual(users?.completeness?.findings.count, { seen: 30, expectedAtStart: 30, expectedAtEnd: 30, allowed: 0, missing: 0 });
      assert.deepEqual([users?.expectedAtStart, users?.expectedAtEnd, users?.recordsFetched, users?.inserted], [30, 30, 30, 30]);

      assert.equal(source.assessments.length, 1);
      const checked = source.assessments[0];
      assert.equal(checked?.runId, handle.firstExecutionRunId);
      assert.equal(checked?.fullTraversal, true);
      assert.deepEqual(checked?.traversal, {
        expectedAtStart: 30,
        expectedAtEnd: 30,
        quarantined: 0,
        reconciledRows: 0,
        drift: [],
        startCursor: `${SCRIPTED_BASE_URL}/users?page=1`,
        endCursor: `${SCRIPTED_BASE_URL}/users?page=3`,
      });
      // A complete traversal is followed by the deletion scan.
      assert.deepEqual(source.deletionScans, ['users']);
      assert.equal(users?.deletionScan?.outcome, 'flagged');
    });
  }, 30_000);

  it('fails a run whose checks find rows missing, with the report attached, and scans no deletions after it', async () => {
    const verdict = 'incomplete: 5 of 30 announced rows missing (25 seen)' as const;
    const source = new ScriptedSource({ traversals: { users: USERS, courses: [{ records: 3 }] }, verdicts: { users: verdict } });
    const spec = scriptedSpec('report-incomplete', [
      { name: 'users', path: '/users', primaryKey: ['id'] },
      { name: 'courses', path: '/courses', primaryKey: ['id'] },
    ]);
    await withScriptedWorkers(env, 'report-incomplete', source, async () => {
      const handle = await startExport(env.client, spec, { taskQueue: 'report-incomplete' });
      const failure = await handle.result().then(
        () => assert.fail('an incomplete run completed'),
        (error: unknown) => error,
      );
      assert.ok(failure instanceof WorkflowFailedError);
      assert.equal(rootFailure(failure)?.type, FailureType.ExportIncomplete);
      assert.match(rootFailure(failure)?.message ?? '', /incomplete for 1 resource\(s\):\n {2}users: incomplete: 5 of 30 announced rows missing/);

      const report = await waitForReport(handle);
      assert.equal(report.status, 'incomplete');
      const [users, courses] = report.resources;
      // The traversal itself completed: the verdict, not the status, says rows are missing.
      assert.deepEqual([users?.status, users?.completeness?.verdict], ['completed', verdict]);
      assert.deepEqual([courses?.status, courses?.completeness?.verdict], ['completed', 'complete']);
      assert.equal(users?.deletionScan?.outcome, 'skipped');
      assert.deepEqual(source.deletionScans, ['courses'], 'no stored row is flagged as deleted after an incomplete traversal');
    });
  }, 30_000);
});
