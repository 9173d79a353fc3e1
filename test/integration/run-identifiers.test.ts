import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import { latestRunOfSpec } from '../../src/cli/resolve-run';
import { LmsSimulator } from '../../src/simulator/server';
import { startHarness, type Harness } from '../helpers/harness';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const TASK_QUEUE = 'run-identifiers-test';
const LMS_EXPORT = join(__dirname, '..', '..', 'bin', 'lms-export.js');
/** The id a schedule gives the run it starts: the action's workflow id and the scheduled time. */
const SCHEDULED_ID = 'export-resolve-2026-05-01T10:00:00Z';

let harness: Harness;
const dir = mkdtempSync(join(tmpdir(), 'lms-export-ids-'));

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 30 });
});

afterAll(async () => {
  await harness?.stop();
});

function lmsExport(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [LMS_EXPORT, ...args], {
    env: { ...process.env, TEMPORAL_ADDRESS: harness.env.address, LMS_EXPORT_TASK_QUEUE: TASK_QUEUE },
  });
}

function specFile(name: string, simulatorUrl = harness.simulator.url, pageSize = 100): { file: string; spec: ReturnType<typeof simulatorSpec> } {
  const spec = simulatorSpec(name, simulatorUrl, { kind: 'postgres', url: harness.db.url, schema: name.replace(/-/g, '_') }, {
    resources: [{ name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize }],
  });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return { file, spec };
}

async function statusOf(identifier: string): Promise<{ workflowId: string; workflowStatus: string }> {
  return JSON.parse((await lmsExport(['status', identifier, '--json'])).stdout) as { workflowId: string; workflowStatus: string };
}

describe('one identifier scheme for runs', () => {
  it('status <spec name> picks the spec\'s newest run, a scheduled one included, and not a run of a spec whose name extends it', async () => {
    const { client } = harness.env;
    const resolve = specFile('resolve');
    const longer = specFile('resolve-b');
    // Oldest to newest: the plain run, a scheduled-style run, then the spec whose name has "resolve" as prefix.
    await waitForReport(await startExport(client, resolve.spec, { taskQueue: TASK_QUEUE }));
    await waitForReport(await startExport(client, resolve.spec, { taskQueue: TASK_QUEUE, workflowId: SCHEDULED_ID }));
    await waitForReport(await startExport(client, longer.spec, { taskQueue: TASK_QUEUE }));
    // Visibility is eventually consistent: wait until it lists all three.
    await waitFor('the runs in visibility', async () => (await latestRunOfSpec(client, 'resolve-b')) !== undefined && (await latestRunOfSpec(client, 'resolve')) === SCHEDULED_ID);

    assert.equal((await statusOf('resolve')).workflowId, SCHEDULED_ID);
    assert.equal((await statusOf(resolve.file)).workflowId, SCHEDULED_ID, 'a spec file means its spec\'s newest run');
    assert.equal((await statusOf('resolve-b')).workflowId, 'export-resolve-b');
    const byId = await statusOf('export-resolve');
    assert.equal(byId.workflowId, 'export-resolve', 'a workflow id is taken as it is');
    assert.equal(byId.workflowStatus, 'COMPLETED');
    await assert.rejects(lmsExport(['status', 'no-such-export']), (error: { stderr: string; code: number }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /no export run matches "no-such-export"/);
      return true;
    });
  }, TEST_TIMEOUT_MS);

  it('refuses a second start of a running export, naming when it started and the verbs, and cancel <spec name> stops it', async () => {
    // Slow enough (200 pages at 100 ms) that the first run is still traversing when the second start and the cancel arrive.
    const slow = new LmsSimulator({ users: 2_000, latencyMs: 100 });
    await slow.start();
    try {
      const { file } = specFile('dup', slow.url, 10);
      assert.match((await lmsExport(['start', file])).stdout, /^started export-dup/);
      await assert.rejects(lmsExport(['start', file]), (error: { stderr: string; code: number }) => {
        assert.equal(error.code, 2);
        assert.match(error.stderr, /export export-dup is already running \(started 20\d\d-\d\d-\d\dT[\d:.]+Z\); use lms-export status\/pause\/cancel export-dup/);
        return true;
      });
      assert.match((await lmsExport(['cancel', 'dup'])).stdout, /^cancel requested for export-dup/);
      const handle = harness.env.client.workflow.getHandle('export-dup');
      await waitFor('the run to end cancelled', async () => (await handle.describe()).status.name === 'CANCELLED');
      const child = await harness.env.client.workflow.getHandle('export-dup-users').describe();
      assert.equal(child.status.name, 'CANCELLED', 'its traversal was cancelled with it');
    } finally {
      await slow.stop();
    }
  }, TEST_TIMEOUT_MS);
});
