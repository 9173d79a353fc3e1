import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { startHarness, type Harness } from '../helpers/harness';
import { queryRows } from '../helpers/postgres';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

const TASK_QUEUE = 'table-owners-test';

let harness: Harness;
/** A second district: another source with a resource of the same name. */
let districtB: LmsSimulator;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 250 });
  districtB = new LmsSimulator({ users: 120, seed: 7 });
  await districtB.start();
});

afterAll(async () => {
  await districtB?.stop();
  await harness?.stop();
});

function spec(name: string, simulator: LmsSimulator, schema: string, sharedTable?: boolean): ExportSpecInput {
  const base = simulatorSpec(name, simulator.url, { kind: 'postgres', url: harness.db.url, schema });
  return { ...base, resources: base.resources.map((r) => ({ ...r, ...(sharedTable === undefined ? {} : { sharedTable }) })) };
}

describe('a table belongs to the spec that wrote it first', () => {
  it('refuses a second spec writing the same resource name into the sink, naming the first, before its first request', async () => {
    const first = await waitForReport(await startExport(harness.env.client, spec('district-a', harness.simulator, 'owned'), { taskQueue: TASK_QUEUE }));
    assert.equal(first.resources[0]?.status, 'completed', first.resources[0]?.error);

    const requestsBefore = districtB.stats.pageRequests;
    const second = await waitForReport(await startExport(harness.env.client, spec('district-b', districtB, 'owned'), { taskQueue: TASK_QUEUE }));
    assert.equal(second.resources[0]?.status, 'failed');
    assert.ok(
      second.resources[0]?.error?.includes(
        `table users in this sink belongs to spec "district-a" (resource users, ${harness.simulator.url}/api/v1/accounts/1/users); set "sharedTable": true on both resources to let them write together, or use another sink schema`,
      ),
      second.resources[0]?.error,
    );
    assert.equal(districtB.stats.pageRequests, requestsBefore, 'refused before its first request');
    const rows = await queryRows<{ n: string }>(harness.db.url, `SELECT count(*) AS n FROM owned.users WHERE _first_run = $1`, [first.runId]);
    assert.equal(Number(rows[0]?.n), 250, "the first district's rows are all there, untouched");

    const again = await waitForReport(await startExport(harness.env.client, spec('district-a', harness.simulator, 'owned'), { taskQueue: TASK_QUEUE }));
    assert.equal(again.resources[0]?.status, 'completed', 'the owner writes its table again');
  }, TEST_TIMEOUT_MS);

  it('lets two specs write one table when both resources set sharedTable', async () => {
    const first = await waitForReport(await startExport(harness.env.client, spec('district-a', harness.simulator, 'shared', true), { taskQueue: TASK_QUEUE }));
    const second = await waitForReport(await startExport(harness.env.client, spec('district-b', districtB, 'shared', true), { taskQueue: TASK_QUEUE }));
    assert.deepEqual([first.resources[0]?.status, second.resources[0]?.status], ['completed', 'completed'], second.resources[0]?.error);
    assert.equal(second.resources[0]?.recordsFetched, 120);
    const owners = await queryRows<{ spec: string; shared: string }>(harness.db.url, 'SELECT spec, shared FROM shared._lms_table_owners WHERE table_name = $1', ['users']);
    assert.deepEqual(owners, [{ spec: 'district-a', shared: 'true' }]);
  }, TEST_TIMEOUT_MS);

  it('keeps a table with its spec when the spec reads another URL and runs under workflow ids of its own', async () => {
    // As the demo does: each run on a new simulator port, with a workflow id that is not export-<spec>.
    const first = await waitForReport(await startExport(harness.env.client, spec('moving', harness.simulator, 'moved'), { taskQueue: TASK_QUEUE, workflowId: 'export-moving-1' }));
    assert.equal(first.resources[0]?.status, 'completed', first.resources[0]?.error);
    const second = await waitForReport(await startExport(harness.env.client, spec('moving', districtB, 'moved'), { taskQueue: TASK_QUEUE, workflowId: 'export-moving-2' }));
    assert.equal(second.resources[0]?.status, 'completed', second.resources[0]?.error);
    const owners = await queryRows<{ spec: string; source: string }>(harness.db.url, 'SELECT spec, source FROM moved._lms_table_owners');
    assert.deepEqual(owners, [{ spec: 'moving', source: `${districtB.url}/api/v1` }]);
  }, TEST_TIMEOUT_MS);

  it('adopts a table written before owners were recorded', async () => {
    const first = await waitForReport(await startExport(harness.env.client, spec('district-a', harness.simulator, 'legacy'), { taskQueue: TASK_QUEUE }));
    assert.equal(first.resources[0]?.status, 'completed');
    // A sink of an older version: its tables, no record of owners. Its next writer adopts the table.
    await queryRows(harness.db.url, 'DROP TABLE legacy._lms_table_owners');
    const upgraded = await waitForReport(await startExport(harness.env.client, spec('district-b', districtB, 'legacy'), { taskQueue: TASK_QUEUE }));
    assert.equal(upgraded.resources[0]?.status, 'completed', upgraded.resources[0]?.error);
    const owners = await queryRows<{ spec: string }>(harness.db.url, 'SELECT spec FROM legacy._lms_table_owners');
    assert.deepEqual(owners, [{ spec: 'district-b' }]);
  }, TEST_TIMEOUT_MS);
});
