import assert from 'node:assert/strict';
import { afterAll, beforeAll, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startExport } from '../../src/client/exports';
import { SpecTooLargeError } from '../../src/client/spec-size';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { startTemporal, TEST_TIMEOUT_MS } from '../helpers/temporal';

const TASK_QUEUE = 'spec-size';
/** A server configured to refuse payloads over 64 KiB (the default is 2 MB): our own limit lets a bigger spec pass. */
const SERVER_BLOB_LIMIT = 64 * 1024;

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  // The server checks the error limit only past the warning limit (512 KB by default): lower both.
  env = await startTemporal(['--dynamic-config-value', `limit.blobSize.warn=${SERVER_BLOB_LIMIT / 2}`, '--dynamic-config-value', `limit.blobSize.error=${SERVER_BLOB_LIMIT}`]);
});

afterAll(() => env?.teardown());

/** A nested resource limited to `count` parent keys (as --retry-failed writes them): what makes real specs big. */
function specWithKeys(name: string, count: number): ExportSpecInput {
  return {
    name,
    source: { preset: 'canvas', baseUrl: 'http://127.0.0.1:9/api/v1' },
    resources: [
      { name: 'courses', path: '/courses', primaryKey: ['id'] },
      { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id', keys: Array.from({ length: count }, (_, i) => String(1_000_000 + i)) } },
    ],
    sink: { kind: 'duckdb', path: '/tmp/never-opened.duckdb' },
  };
}

it('refuses a spec over 512 KiB before sending it, naming its size and parent.keys', async () => {
  await assert.rejects(startExport(env.client, specWithKeys('too-big', 80_000), { taskQueue: TASK_QUEUE }), (error: unknown) => {
    assert.ok(error instanceof SpecTooLargeError);
    assert.match(error.message, /spec is too large to start: \d+\.\d KiB of JSON.*resources\[1\]\.parent\.keys/);
    return true;
  });
  await assert.rejects(env.client.workflow.getHandle('export-too-big').describe(), /not found/i, 'nothing was started');
}, TEST_TIMEOUT_MS);

it("says plainly when the server refuses the spec as over its payload limit, instead of 'Failed to start Workflow'", async () => {
  // About 110 KiB: under our limit, over this server's.
  await assert.rejects(startExport(env.client, specWithKeys('over-server-limit', 10_000), { taskQueue: TASK_QUEUE }), (error: unknown) => {
    assert.match((error as Error).message, /^the Temporal server refused to start export-over-server-limit: the spec \(\d+ bytes of JSON\) is over the server's payload size limit \(limit\.blobSize\.error/);
    assert.match((error as Error).message, /split long parent\.keys lists, query arrays or its resources over several specs/);
    return true;
  });
}, TEST_TIMEOUT_MS);
