import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startExport, waitForReport } from '../../src/client/exports';
import { LmsSimulator } from '../../src/simulator/server';
import { pauseSignal, resumeSignal } from '../../src/workflows/definitions';
import { freePort } from '../helpers/ports';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { progressOf } from '../helpers/progress';
import { scrape, total, type Sample } from '../helpers/prometheus';
import { simulatorSpec, TOKEN_ENV } from '../helpers/specs';
import { startTemporal, TEST_TIMEOUT_MS } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { exited, spawnWorkerProcess } from '../helpers/worker-process';

const TASK_QUEUE = 'metrics-test';
const USERS = 250;
const THROTTLE_SECONDS = 2;
const SPEC = 'metrics-users';

let env: TestWorkflowEnvironment;
let db: TestDatabase;
let simulator: LmsSimulator;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  // The second request is throttled for two seconds; the third that reaches the fault injector (the fourth in all) gets a 500.
  simulator = new LmsSimulator({ users: USERS, latencyMs: 50, throttle: { requests: [2], seconds: THROTTLE_SECONDS, form: 'seconds' }, faults: { rate: 0, atRequests: [3], kinds: ['500'] } });
  await simulator.start();
  [env, db] = await Promise.all([startTemporal(), createTestDatabase()]);
});

afterAll(async () => {
  worker?.kill('SIGKILL');
  if (worker !== undefined) await exited(worker);
  await simulator?.stop();
  await db?.drop();
  await env?.teardown();
});

it("serves the SDK's and our metrics on LMS_EXPORT_METRICS_PORT, and logs JSON lines naming the run, resource, page and attempt", async () => {
  const port = await freePort();
  worker = spawnWorkerProcess({
    TEMPORAL_ADDRESS: env.address,
    LMS_EXPORT_TASK_QUEUE: TASK_QUEUE,
    LMS_EXPORT_METRICS_PORT: `127.0.0.1:${port}`,
    LMS_EXPORT_LOG_FORMAT: 'json',
    [TOKEN_ENV]: simulator.token,
  });
  let logged = '';
  worker.stderr?.on('data', (chunk: Buffer) => (logged += chunk.toString()));
  const handle = await startExport(env.client, simulatorSpec(SPEC, simulator.url, { kind: 'postgres', url: db.url, schema: 'metrics' }), { taskQueue: TASK_QUEUE });
  // The traversal is paused as soon as it runs (its second request waits out a throttle), then resumed: one pause to count.
  const traversal = env.client.workflow.getHandle(`${handle.workflowId}-users`);
  await waitFor('the traversal to start', () => traversal.signal(pauseSignal).then(() => true, () => false), 30_000);
  await waitFor('the traversal to be paused', async () => (await progressOf(traversal))?.paused, 30_000);
  await traversal.signal(resumeSignal);
  const report = await waitForReport(handle);
  assert.equal(report.status, 'completed', report.resources[0]?.error);

  // The verdict is the last thing the run emits; the workflow meter reports it after the workflow task completes.
  const samples = await waitFor('the verdict among the metrics', async () => {
    const now = await scrape(port);
    return total(now, 'lms_export_verdicts') > 0 && now;
  }, 30_000);
  const ours = { spec: SPEC, resource: 'users', source_host: new URL(simulator.url).host };
  const of = (name: string, labels: Record<string, string> = {}): number => total(samples, name, { ...ours, ...labels });

  assert.equal(of('lms_export_records_fetched'), USERS);
  assert.equal(of('lms_export_pages_fetched'), Math.ceil(USERS / 100));
  assert.equal(of('lms_export_records_stored', { outcome: 'inserted' }), USERS);
  assert.equal(of('lms_export_records_stored', { outcome: 'updated' }), 0);
  assert.equal(of('lms_export_records_quarantined'), 0);
  assert.equal(of('lms_export_throttled', { status: '429' }), 1);
  assert.equal(of('lms_export_requests', { status_class: '5xx' }), simulator.faults?.injected['500']);
  assert.equal(of('lms_export_requests', { status_class: '4xx' }), 1, 'the 429');
  assert.equal(total(samples, 'lms_export_requests'), simulator.stats.pageRequests, 'every request the simulator answered, spot checks and counts included');
  assert.equal(of('lms_export_wait_seconds_count', { cause: 'server' }), 1);
  assert.equal(of('lms_export_wait_seconds_sum', { cause: 'server' }), THROTTLE_SECONDS);
  assert.equal(of('lms_export_wait_seconds_count', { cause: 'backoff' }), 1, 'after the 500');
  assert.equal(of('lms_export_verdicts', { verdict: 'complete' }), 1);
  assert.equal(of('lms_export_wait_seconds_count', { cause: 'paused' }), 1);
  assert.ok(of('lms_export_wait_seconds_sum', { cause: 'paused' }) > 0);
  assert.ok(hasSample(samples, 'temporal_activity_schedule_to_start_latency_bucket'), "the SDK's own metrics are served beside ours");
  for (const sample of samples.filter((s) => s.name.startsWith('lms_export_'))) {
    const values = Object.values(sample.labels).join(' ');
    assert.ok(!values.includes(simulator.token) && !values.includes('/api/'), `no token, path or cursor in labels: ${JSON.stringify(sample.labels)}`);
  }

  const lines = logged.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  const failed = lines.find((line) => line['message'] === 'Activity failed' && line['activityType'] === 'fetchPage');
  assert.ok(failed !== undefined, `the throttled page's failure is logged as JSON:\n${logged.slice(0, 2_000)}`);
  assert.equal(failed['level'], 'warn');
  assert.equal(failed['workflowId'], `${handle.workflowId}-users`);
  assert.equal(typeof failed['workflowRunId'], 'string');
  assert.equal(failed['resource'], 'users');
  assert.equal(failed['spec'], SPEC);
  assert.equal(typeof failed['page'], 'number');
  assert.equal(failed['attempt'], 1);
  assert.equal(failed['taskToken'], undefined);
  assert.ok(!logged.includes(simulator.token), 'the source token is never logged');
}, TEST_TIMEOUT_MS);

it('refuses an LMS_EXPORT_METRICS_PORT that is not a port, naming it, before connecting anywhere', () => {
  const cli = join(__dirname, '..', '..', 'bin', 'lms-export.js');
  // Nothing listens on port 1: a worker that tried to connect would fail differently, later.
  const run = spawnSync(process.execPath, [cli, 'worker'], { env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', LMS_EXPORT_METRICS_PORT: 'ninety' }, encoding: 'utf8', timeout: 60_000 });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /LMS_EXPORT_METRICS_PORT must be a port number from 1 to 65535 \(e\.g\. 9464\), or host:port \(e\.g\. 127\.0\.0\.1:9464\); got "ninety"/);
});

function hasSample(samples: Sample[], name: string): boolean {
  return samples.some((s) => s.name === name);
}
