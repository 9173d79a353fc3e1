import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { TASK_QUEUE } from '../../src/client/settings';
import { createExportWorker, type ExportWorker } from '../../src/worker/worker';
import { DuckDbDriver } from '../../src/sinks/duckdb';
import { startTemporal, TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';

const DEMO = join(__dirname, '..', '..', 'src', 'dev', 'demo.ts');
const DEMO_USERS = 300;
const run = promisify(execFile);

let env: TestWorkflowEnvironment;
let otherWorker: ExportWorker;
let otherWorkerRunning: Promise<void>;

beforeAll(async () => {
  env = await startTemporal();
  // A user's own worker (README step 2) on the default queue, without the demo's token in its environment.
  delete process.env['LMS_DEMO_TOKEN'];
  otherWorker = await createExportWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: await workflowBundle(), discoveryIntervalMs: 100 });
  otherWorkerRunning = otherWorker.run();
});

afterAll(async () => {
  otherWorker?.shutdown();
  await otherWorkerRunning;
  await env?.teardown();
});

describe('npm run demo', () => {
  it('completes on a server where another worker polls lms-export, quietly, and stores the records', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lms-export-demo-'));
    const { LMS_EXPORT_LOG_LEVEL: _level, ...parentEnv } = process.env;
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', DEMO, '--data-dir', dataDir, '--users', String(DEMO_USERS)], {
      env: { ...parentEnv, TEMPORAL_ADDRESS: env.address, TEMPORAL_UI_URL: 'http://ui.example:8080/' },
      timeout: TEST_TIMEOUT_MS - 10_000,
    });

    assert.match(stdout, /^export demo \(export-demo-\d+, run [0-9a-f-]+\): completed$/m);
    const workflowId = stdout.match(/^Started (export-demo-\d+) on task queue (lms-export-demo-\d+)$/m);
    assert.ok(workflowId, `the demo names its workflow and task queue:\n${stdout}`);
    assert.match(stdout, new RegExp(`^Web UI: http://ui\\.example:8080/namespaces/default/workflows/${workflowId[1]}$`, 'm'));
    for (const noise of ['webpack', 'Workflow bundle created', 'No workflows registered', '[INFO]']) {
      assert.ok(!stdout.includes(noise) && !stderr.includes(noise), `no "${noise}" in the demo's output:\n${stdout}\n${stderr}`);
    }

    // Nothing ran on the default queue: the other worker had no chance to take the demo's tasks.
    let onDefaultQueue = 0;
    for await (const _ of env.client.workflow.list({ query: `TaskQueue = '${TASK_QUEUE}'` })) onDefaultQueue += 1;
    assert.equal(onDefaultQueue, 0);

    const printed = Number(stdout.match(/^(\d+) records in /m)?.[1]);
    const duckdb = await DuckDbDriver.open(join(dataDir, 'demo.duckdb'));
    try {
      const [users] = await duckdb.query('SELECT count(*) AS n FROM users');
      assert.equal(Number(users?.['n']), DEMO_USERS);
      let stored = 0;
      for (const table of ['users', 'courses', 'enrollments', 'submissions']) stored += Number((await duckdb.query(`SELECT count(*) AS n FROM ${table}`))[0]?.['n']);
      assert.equal(stored, printed);
    } finally {
      await duckdb.close();
    }
  }, TEST_TIMEOUT_MS);
});
