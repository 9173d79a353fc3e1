import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { isDeepStrictEqual } from 'node:util';
import { startExport, waitForReport } from '../../src/client/exports';
import { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { queryRows } from '../helpers/postgres';
import { startHarness, type Harness } from '../helpers/harness';
import { simulatorSpec } from '../helpers/specs';
import { allRunHistories, assertReplays, recordHistoriesIfAsked } from '../helpers/history';
import { TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';

const TASK_QUEUE = 'update-scan-test';
const USERS = '/api/v1/accounts/1/users';
/** Rows the traversal has passed by its 12th request (pages of 100, in id order). */
const BEHIND_THE_CURSOR = [3, 50, 99, 400, 777];

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 10 });
});

afterAll(async () => {
  await harness?.stop();
});

/** Exports 2,000 users while five rows already read change at the 12th request; returns the report and stored rows. */
async function exportWhileRowsChange(name: string, updateScan: ExportSpecInput['resources'][number]['updateScan']) {
  const simulator = new LmsSimulator({ users: 2_000, mutationPlan: [{ atRequest: 12, collection: 'users', update: BEHIND_THE_CURSOR }] });
  await simulator.start();
  try {
    const spec = simulatorSpec(name, simulator.url, { kind: 'postgres', url: harness.db.url, schema: name.replace(/-/g, '_') }, {
      resources: [{ name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 100, updateScan }],
    });
    const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
    const stored = await queryRows<{ _record: Record<string, unknown> }>(harness.db.url, `SELECT _record FROM ${spec.sink.kind === 'postgres' ? spec.sink.schema : ''}.users ORDER BY id::int`);
    return { report, stored: stored.map((r) => r._record), truth: simulator.truth(USERS) };
  } finally {
    await simulator.stop();
  }
}

describe('update scan', () => {
  it('makes rows updated behind the cursor current, as truth was when the scan started', async () => {
    const { report, stored, truth } = await exportWhileRowsChange('update-scan', { sinceParam: 'updated_since' });
    const users = report.resources[0];
    assert.equal(report.status, 'completed');
    assert.equal(users?.updateScan?.status, 'completed');
    assert.equal(users?.updateScan?.updated, BEHIND_THE_CURSOR.length, 'the scan touched exactly the rows changed behind the cursor');
    assert.equal(users?.updateScan?.inserted, 0);
    const since = /^updated_since=(.+)$/.exec(users?.updateScan?.since ?? '')?.[1] ?? '';
    assert.equal(Date.parse(since), Date.parse(report.startedAt) - 300_000, 'the run start less the default overlap');
    assert.deepEqual(stored, truth);
    assert.deepEqual(truth.filter((r) => r['revision'] === 1).map((r) => r.id), BEHIND_THE_CURSOR);

    // The run with its update-scan child replays on today's workflow code.
    const histories = [
      ...(await allRunHistories(harness.env.client, report.workflowId)),
      ...(await allRunHistories(harness.env.client, `${users?.workflowId}-updates`)),
    ];
    assert.equal(histories.length, 2);
    recordHistoriesIfAsked(histories);
    await assertReplays(await workflowBundle(), histories);
  }, TEST_TIMEOUT_MS);

  it('without it, those rows stay as the traversal read them', async () => {
    const { report, stored, truth } = await exportWhileRowsChange('no-update-scan', undefined);
    assert.equal(report.resources[0]?.updateScan, undefined);
    const stale = truth.filter((row, i) => !isDeepStrictEqual({ ...row }, stored[i])).map((r) => r.id);
    assert.deepEqual(stale, BEHIND_THE_CURSOR);
  }, TEST_TIMEOUT_MS);
});
