import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { waitForReport } from '../../src/client/exports';
import { pauseSignal, resumeSignal } from '../../src/workflows/definitions';
import type { RunReport } from '../../src/workflows/report';
import { queryRows } from '../helpers/postgres';
import { startHarness, type Harness } from '../helpers/harness';
import { simulatorSpec } from '../helpers/specs';
import { allRunHistories, assertReplays, recordHistoriesIfAsked } from '../helpers/history';
import { lmsExport as runCli } from '../helpers/cli';
import { TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const TASK_QUEUE = 'schedules-test';
const SCHEDULE = 'sync-hourly-users';
const USERS = '/api/v1/accounts/1/users';

let harness: Harness;
let dir: string;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 2_000 });
  dir = mkdtempSync(join(tmpdir(), 'lms-schedules-'));
});

afterAll(async () => {
  await harness?.stop();
});

function lmsExport(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return runCli(args, { address: harness.env.address, taskQueue: TASK_QUEUE });
}

/** The report of the schedule's `n`th run (1-based), once it has finished. */
async function scheduledRun(n: number): Promise<RunReport> {
  const workflowId = await waitFor(`scheduled run ${n}`, async () => {
    const ids: string[] = [];
    for await (const run of harness.env.client.workflow.list({ query: `TemporalScheduledById = '${SCHEDULE}'` })) ids.push(run.workflowId);
    return ids.length >= n ? ids.sort()[n - 1] : undefined;
  });
  return waitForReport(harness.env.client.workflow.getHandle(workflowId));
}

describe('schedules and incremental syncs', () => {
  it('runs a schedule triggered twice: a full first run, then an incremental one with far fewer requests, the sink equal to truth', async () => {
    const simulator = harness.simulator;
    const spec = simulatorSpec('hourly-users', simulator.url, { kind: 'postgres', url: harness.db.url, schema: 'hourly' }, {
      resources: [{
        name: 'users',
        path: '/accounts/1/users',
        primaryKey: ['id'],
        pageSize: 100,
        incremental: { cursorField: 'updated_at' },
        updateScan: { sinceParam: 'updated_since', overlapSeconds: 60 },
        deletionScan: { every: '24h' },
      }],
    });
    const file = join(dir, 'hourly.json');
    writeFileSync(file, JSON.stringify(spec));

    const created = await lmsExport(['schedule', 'create', file, '--every', '1h', '--id', SCHEDULE]);
    assert.match(created.stdout, /created schedule sync-hourly-users: every 1h, overlap SKIP, catch-up window 10m/);

    const beforeFirst = simulator.stats.pageRequests;
    await lmsExport(['schedule', 'trigger', SCHEDULE]);
    const first = await scheduledRun(1);
    const firstRequests = simulator.stats.pageRequests - beforeFirst;
    assert.equal(first.status, 'completed');
    assert.equal(first.resources[0]?.incrementalSince, undefined, 'the first run traverses everything');
    assert.equal(first.resources[0]?.recordsFetched, 2_000);
    assert.match(first.resources[0]?.highWater ?? '', /^2026-/);

    // An hour of school: a few profiles edited, a few students enrolled.
    for (const id of [12, 345, 678, 1_500, 1_999]) simulator.data.update('users', id, { short_name: `edited ${id}` });
    for (let i = 0; i < 3; i++) simulator.data.mutateOnce('users', 'insert');

    const beforeSecond = simulator.stats.pageRequests;
    await lmsExport(['schedule', 'trigger', SCHEDULE]);
    const second = await scheduledRun(2);
    const secondRequests = simulator.stats.pageRequests - beforeSecond;
    const users = second.resources[0];
    assert.equal(second.status, 'completed');
    assert.ok(users?.incrementalSince !== undefined, 'the second run is incremental');
    assert.notEqual(second.workflowId, first.workflowId);
    assert.match(second.workflowId, /^export-hourly-users-/);
    console.log(`schedule: first run ${firstRequests} requests (${first.resources[0]?.recordsFetched} rows), second ${secondRequests} requests (${users?.recordsFetched} rows)`);
    assert.ok(secondRequests * 4 < firstRequests, `incremental: ${secondRequests} requests against ${firstRequests}`);
    assert.equal(users?.deletionScan?.outcome, 'skipped');

    const stored = await queryRows<{ _record: Record<string, unknown> }>(harness.db.url, 'SELECT _record FROM hourly.users ORDER BY id::int');
    const truth = simulator.truth(USERS);
    assert.equal(stored.length, truth.length);
    assert.ok(stored.every((row, i) => isDeepStrictEqual(row._record, { ...truth[i] })), 'the sink equals truth');

    // Both runs (full, then incremental) replay on today's workflow code.
    const histories = [...(await allRunHistories(harness.env.client, first.workflowId)), ...(await allRunHistories(harness.env.client, second.workflowId))];
    recordHistoriesIfAsked(histories);
    await assertReplays(await workflowBundle(), histories);

    // A run still going when the next comes due: the next is skipped (overlap SKIP), and describe says so. The
    // third run is slowed (1 s a request) until it is paused, and held paused while the fourth is triggered.
    const schedule = harness.env.client.schedule.getHandle(SCHEDULE);
    simulator.latencyMs = 1_000;
    await lmsExport(['schedule', 'trigger', SCHEDULE]);
    const running = await waitFor('the third run to be running', async () => (await schedule.describe()).info.runningActions[0]?.workflow.workflowId);
    await harness.env.client.workflow.getHandle(running).signal(pauseSignal);
    await lmsExport(['schedule', 'trigger', SCHEDULE]);
    await waitFor('the fourth time to be skipped', async () => ((await schedule.describe()).info.numActionsSkippedOverlap > 0 ? true : undefined));
    simulator.latencyMs = 0;
    await harness.env.client.workflow.getHandle(running).signal(resumeSignal);
    const third = await scheduledRun(3);
    assert.equal(third.status, 'completed');

    const described = await lmsExport(['schedule', 'describe', SCHEDULE]);
    assert.match(described.stdout, /^sync-hourly-users: every 3600 s\n {2}next: /);
    const ran = described.stdout.match(/^ {2}ran: .*$/gm) ?? [];
    assert.equal(ran.length, 3);
    assert.ok(ran.every((line) => / → export-hourly-users-\S+: completed, complete$/.test(line)), ran.join('\n'));
    assert.match(described.stdout, /^ {2}skipped: 1 scheduled time\(s\) while the previous run was still going \(overlap SKIP\)$/m);
    assert.match((await lmsExport(['schedule', 'list'])).stdout, /sync-hourly-users: every 3600 s/);
    await lmsExport(['schedule', 'delete', SCHEDULE]);
    assert.doesNotMatch((await lmsExport(['schedule', 'list'])).stdout, /sync-hourly-users/);
  }, TEST_TIMEOUT_MS);
});
