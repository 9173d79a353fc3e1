import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import type { ResourceState } from '../../src/sinks/incremental-state';
import { queryRows } from '../helpers/postgres';
import { startHarness, type Harness } from '../helpers/harness';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

const TASK_QUEUE = 'incremental-state-test';
const LMS_EXPORT = join(__dirname, '..', '..', 'bin', 'lms-export.js');
const USERS = 600;

let harness: Harness;
const dir = mkdtempSync(join(tmpdir(), 'lms-export-state-'));

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: USERS });
});

afterAll(async () => {
  await harness?.stop();
});

function lmsExport(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [LMS_EXPORT, ...args], { env: { ...process.env, TEMPORAL_ADDRESS: harness.env.address } });
}

async function state(file: string): Promise<ResourceState> {
  const [users] = JSON.parse((await lmsExport(['state', file, '--resource', 'users', '--json'])).stdout) as ResourceState[];
  assert.ok(users !== undefined);
  return users;
}

describe('lms-export state', () => {
  it('shows an incremental resource\'s mark and last complete run, and after state reset the next run is full again', async () => {
    const { simulator, db } = harness;
    const spec = simulatorSpec('state-users', simulator.url, { kind: 'postgres', url: db.url, schema: 'state' }, {
      resources: [{
        name: 'users',
        path: '/accounts/1/users',
        primaryKey: ['id'],
        pageSize: 50,
        incremental: { cursorField: 'updated_at' },
        updateScan: { sinceParam: 'updated_since', overlapSeconds: 60 },
      }],
    });
    const file = join(dir, 'state.json');
    writeFileSync(file, JSON.stringify(spec));

    const beforeFirst = simulator.stats.pageRequests;
    const first = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
    const fullRequests = simulator.stats.pageRequests - beforeFirst;
    assert.equal(first.status, 'completed');
    assert.equal(first.resources[0]?.incrementalSince, undefined, 'the first run is full');

    const shown = await state(file);
    assert.equal(shown.cursorField, 'updated_at');
    assert.equal(shown.highWater?.value, first.resources[0]?.highWater);
    assert.equal(shown.highWater?.runId, first.runId);
    assert.equal(shown.lastCompleteRun?.runId, first.runId);
    assert.match(shown.lastCompleteRun?.verdict ?? '', /^complete/);
    assert.equal(shown.lastCompleteRun?.storedRows, USERS);
    assert.equal(shown.lastDeletionScan?.runId, first.runId, 'the full run scanned for deletions');
    assert.equal(shown.nextRunIncremental, true);
    assert.match((await lmsExport(['state', file])).stdout, /^users:\n {2}high-water mark: updated_at = 20\d\d-.*\n {2}last complete run: .*\n {2}last deletion scan: .*\n {2}next run: incremental/);

    const reset = await lmsExport(['state', 'reset', file, '--resource', 'users']);
    assert.match(reset.stdout, /^users: high-water mark updated_at = .* cleared; its next run traverses everything/);
    const actions = await queryRows<{ action: string; resource: string; records: number; acted_by: string }>(db.url, 'SELECT action, resource, records, acted_by FROM state._lms_actions');
    assert.deepEqual(actions, [{ action: 'reset-incremental-state', resource: 'users', records: 1, acted_by: userInfo().username }]);
    const cleared = await state(file);
    assert.equal(cleared.highWater, null);
    assert.equal(cleared.nextRunIncremental, false);
    assert.equal(cleared.lastCompleteRun?.runId, first.runId, 'the runs stay on record');

    const beforeSecond = simulator.stats.pageRequests;
    const second = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
    assert.equal(second.status, 'completed');
    assert.equal(second.resources[0]?.incrementalSince, undefined, 'the run after the reset is full');
    assert.equal(second.resources[0]?.recordsFetched, USERS);
    assert.equal(simulator.stats.pageRequests - beforeSecond, fullRequests, 'as many requests as the first full run');
    assert.equal((await state(file)).highWater?.runId, second.runId, 'and it saved a new mark');
  }, TEST_TIMEOUT_MS);

  it('refuses a resource the spec does not have, naming the ones it has', async () => {
    const file = join(dir, 'plain.json');
    writeFileSync(file, JSON.stringify(simulatorSpec('state-plain', harness.simulator.url, { kind: 'postgres', url: harness.db.url, schema: 'state_plain' })));
    await assert.rejects(lmsExport(['state', 'reset', file, '--resource', 'courses']), (error: { stderr: string; code: number }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /--resource: "courses" is not in spec state-plain \(its resources: users\)/);
      return true;
    });
  }, TEST_TIMEOUT_MS);
});
