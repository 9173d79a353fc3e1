import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { BUNDLE_CACHE_DIR, cachedWorkflowBundle } from '../../src/worker/workflow-bundle';
import { startTemporal, TEST_TIMEOUT_MS } from '../helpers/temporal';
import { lmsExport } from '../helpers/cli';
import { eventMillis } from '../helpers/history';
import { waitFor } from '../helpers/wait';

// The plain-JavaScript builder that bin/lms-export.js runs before a worker starts.
const { prebuiltCode } = require('../../bin/prebuilt-code.js') as { prebuiltCode(entry: string): Promise<{ path?: string; reason?: string }> };
import { exited, printedBy, spawnWorkerProcess } from '../helpers/worker-process';

const TASK_QUEUE = 'worker-start-test';

let env: TestWorkflowEnvironment;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  env = await startTemporal();
});

afterAll(async () => {
  worker?.kill('SIGKILL');
  if (worker !== undefined) await exited(worker);
  await env?.teardown();
});

/** Every file of the bundle cache with when it was last written. */
function cacheFiles(): Record<string, number> {
  return Object.fromEntries(readdirSync(BUNDLE_CACHE_DIR).map((name) => [name, statSync(join(BUNDLE_CACHE_DIR, name)).mtimeMs]));
}

it('starts polling on the cached workflow bundle and its prebuilt code, building nothing, when the sources are unchanged', async () => {
  const cached = await cachedWorkflowBundle();
  assert.ok('codePath' in cached, 'the cache is writable here');
  const prebuilt = await prebuiltCode('worker');
  assert.ok(prebuilt.path !== undefined, prebuilt.reason);
  const filesBefore = cacheFiles();
  // A run waiting on the queue before the worker exists: its first workflow task shows when the worker first polled.
  const handle = await env.client.workflow.start('exportRun', { taskQueue: TASK_QUEUE, workflowId: `worker-start-${process.pid}`, args: [{}] });

  const spawnedAt = Date.now();
  worker = spawnWorkerProcess({ TEMPORAL_ADDRESS: env.address, LMS_EXPORT_TASK_QUEUE: TASK_QUEUE });
  const printed = printedBy(worker);
  const firstTask = await waitFor('the first workflow task on the new worker', async () => {
    const { events } = await handle.fetchHistory();
    return events?.find((e) => e.workflowTaskStartedEventAttributes !== undefined && e.workflowTaskStartedEventAttributes !== null);
  }, 60_000);
  const firstPollMs = eventMillis(firstTask) - spawnedAt;
  console.log(`worker process start to its first workflow task: ${firstPollMs} ms`);

  await waitFor('the worker to say where its workflow code came from', () => printed().includes('workflow code'), 10_000);
  assert.ok(printed().includes(`workflow code from the cached bundle ${relative(process.cwd(), cached.codePath)}`), printed());
  assert.ok(printed().includes(`worker code from the prebuilt file ${relative(process.cwd(), prebuilt.path)}`), printed());
  assert.ok(!printed().includes('bundled'), 'no bundle built');
  assert.deepEqual(cacheFiles(), filesBefore, 'no bundle written or rewritten');
  await handle.terminate('test over').catch(() => undefined);
}, TEST_TIMEOUT_MS);

it("runs the CLI's verbs from their prebuilt code when the sources are unchanged", async () => {
  const prebuilt = await prebuiltCode('cli');
  assert.ok(prebuilt.path !== undefined, prebuilt.reason);
  const { stdout } = await lmsExport(['--help'], { address: env.address });
  assert.ok(stdout.includes(`: code from the prebuilt file ${relative(process.cwd(), prebuilt.path)}`), stdout);
}, TEST_TIMEOUT_MS);
