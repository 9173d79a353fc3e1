import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import type { RunReport } from '../../src/workflows/report';
import { startHarness, type Harness } from '../helpers/harness';
import { allRunHistories } from '../helpers/history';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

/**
 * A worker whose own setup is wrong (a variable it lacks, a sink path it cannot write) fails the run at once,
 * for good, naming what to fix and which worker: retries would only repeat the same failure.
 */

const TASK_QUEUE = 'worker-config-errors';
/** The harness's worker runs in this process, under the SDK's default identity. */
const WORKER = `${process.pid}@${hostname()}`;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 300 });
});

afterAll(() => harness?.stop());

async function exportInto(name: string, sink: ExportSpecInput['sink']): Promise<{ report: RunReport; seconds: number; attempts: number[] }> {
  const started = Date.now();
  const handle = await startExport(harness.env.client, simulatorSpec(name, harness.simulator.url, sink), { taskQueue: TASK_QUEUE });
  const report = await waitForReport(handle);
  const attempts: number[] = [];
  for (const { history } of await allRunHistories(harness.env.client, `${handle.workflowId}-users`)) {
    for (const event of history.events ?? []) if (event.activityTaskFailedEventAttributes) attempts.push(event.activityTaskStartedEventAttributes?.attempt ?? 1);
  }
  return { report, seconds: (Date.now() - started) / 1000, attempts };
}

describe('a worker missing its configuration', () => {
  it('without the sink.urlEnv variable fails the run at once, naming the variable and the worker', async () => {
    delete process.env['WORKER_CONFIG_UNSET_SINK_URL'];
    const requestsBefore = harness.simulator.stats.pageRequests;
    const { report, seconds, attempts } = await exportInto('no-sink-url', { kind: 'postgres', urlEnv: 'WORKER_CONFIG_UNSET_SINK_URL' });
    assert.equal(harness.simulator.stats.pageRequests, requestsBefore, 'no request was sent');
    assert.equal(report.status, 'failed');
    const error = report.resources[0]?.error ?? '';
    assert.match(error, /sink\.urlEnv: environment variable WORKER_CONFIG_UNSET_SINK_URL is not set on this worker/);
    assert.ok(error.includes(`(worker ${WORKER})`), `the worker is named: ${error}`);
    assert.equal(attempts.length, 1, 'one attempt failed, and was not retried');
    assert.ok(seconds < 20, `failed at once, not after retries (${seconds} s)`);
  }, TEST_TIMEOUT_MS);

  it('with a DuckDB path it cannot create fails the run at once, naming the path and the worker', async () => {
    // A folder that is a file, and a file system that takes no files (the worker may run as root: no permission test).
    const file = join(mkdtempSync(join(tmpdir(), 'lms-config-')), 'a-file');
    writeFileSync(file, 'not a folder');
    const cases = [
      { path: join(file, 'export.duckdb'), says: 'its folder is a file on this worker' },
      { path: `/proc/lms-export-${process.pid}.duckdb`, says: 'this worker cannot create the file' },
    ];
    for (const [i, { path, says }] of cases.entries()) {
      const { report, seconds } = await exportInto(`no-duck-file-${i}`, { kind: 'duckdb', path });
      assert.equal(report.status, 'failed');
      const error = report.resources[0]?.error ?? '';
      assert.ok(error.startsWith(`sink.path: ${path}: `) && error.includes(says), error);
      assert.ok(error.includes(`(worker ${WORKER})`), `the worker is named: ${error}`);
      assert.ok(seconds < 20, `failed at once, not after retries (${seconds} s)`);
    }
  }, TEST_TIMEOUT_MS);

  it('without the source token variable names the variable and the worker', async () => {
    const spec = simulatorSpec('no-token', harness.simulator.url, { kind: 'postgres', url: harness.db.url, schema: 'no_token' });
    spec.source = { ...spec.source, auth: { bearerTokenEnv: 'WORKER_CONFIG_UNSET_TOKEN' } };
    const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
    const error = report.resources[0]?.error ?? '';
    assert.match(error, /source\.auth\.bearerTokenEnv: environment variable WORKER_CONFIG_UNSET_TOKEN is not set on this worker/);
    assert.ok(error.includes(`(worker ${WORKER})`), `the worker is named: ${error}`);
  }, TEST_TIMEOUT_MS);
});
