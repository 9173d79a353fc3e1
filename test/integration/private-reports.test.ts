import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { WorkflowHandle } from '@temporalio/client';
import { startExport, waitForReport } from '../../src/client/exports';
import { cursorDigest } from '../../src/privacy/cursor-digest';
import { REFUSED_STUDENT } from '../../src/simulator/faults';
import { LmsSimulator } from '../../src/simulator/server';
import { openSink } from '../../src/sinks/open-sink';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import type { RunReport } from '../../src/workflows/report';
import { allRunHistories, historyText } from '../helpers/history';
import { startHarness, type Harness } from '../helpers/harness';
import { queryRows } from '../helpers/postgres';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

/**
 * Without an encryption key, history is stored in clear, cursors included (a traversal must continue from them).
 * What travels further than history must not carry them: the run report (and so the run ledger and alerts), the
 * search attributes, the memos and the current details name a page by digest. A server's error text enters
 * history only scrubbed of the student it quotes.
 */

const TASK_QUEUE = 'private-reports-test';
const USERS = 250;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: USERS });
});

afterAll(() => harness?.stop());

function usersSpec(name: string, simulatorUrl: string): ExportSpecInput {
  return simulatorSpec(name, simulatorUrl, { kind: 'postgres', url: harness.db.url, schema: name.replace(/-/g, '_') }, {
    resources: [{ name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 50 }],
    execution: { activityTimeoutSeconds: 10, maxAttempts: 3 },
  });
}

/** Every workflow of a run (the parent, its traversals and scans), each run of each, as stored. */
async function runHistories(workflowId: string): Promise<string> {
  const ids: string[] = [];
  for await (const execution of harness.env.client.workflow.list({ query: `WorkflowId STARTS_WITH '${workflowId}'` })) ids.push(execution.workflowId);
  const texts: string[] = [];
  for (const id of new Set(ids)) for (const run of await allRunHistories(harness.env.client, id)) texts.push(historyText(run.history));
  return texts.join('\n');
}

/**
 * What a run shows beyond its event history, for every workflow of the run: memos and search attributes (from
 * the server's listing) and the current details the Web UI asks each run for.
 */
async function runViews(workflowId: string): Promise<string> {
  const views: string[] = [];
  for await (const execution of harness.env.client.workflow.list({ query: `WorkflowId STARTS_WITH '${workflowId}'` })) {
    const handle = harness.env.client.workflow.getHandle(execution.workflowId, execution.runId);
    const description = await handle.describe();
    const metadata = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
    views.push(JSON.stringify({ memo: description.memo, searchAttributes: description.searchAttributes, currentDetails: metadata.currentDetails, summary: await description.staticSummary() }));
  }
  return views.join('\n');
}

async function finished(handle: WorkflowHandle): Promise<RunReport> {
  return waitForReport(handle as Parameters<typeof waitForReport>[0]);
}

describe('what a run shows without an encryption key', () => {
  it("names the first and last page request by digest in the report and the run ledger, and keeps cursors out of memos, search attributes and details", async () => {
    const spec = usersSpec('digested', harness.simulator.url);
    const handle = await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE });
    const report = await finished(handle);
    const users = report.resources[0];
    assert.equal(report.status, 'completed', JSON.stringify(report.resources.map((r) => r.error)));
    assert.equal(users?.pages, USERS / 50);

    const sink = await openSink({ kind: 'postgres', url: harness.db.url, schema: 'digested' });
    try {
      const audit = await sink.readAudit(report.runId, 'users');
      const requested = audit.map((row) => row.cursorBefore ?? '');
      assert.ok(requested.slice(1).every((url) => url.includes('page=bookmark%3A') || url.includes('page=bookmark:')), `later pages carry Canvas bookmarks: ${requested.join(' ')}`);
      assert.equal(users?.startCursor, cursorDigest(requested[0] ?? ''), 'the start cursor is the digest of the first audit row');
      assert.equal(users?.endCursor, cursorDigest(requested.at(-1) ?? ''), 'the end cursor is the digest of the last audit row');
      assert.match(users?.endCursor ?? '', /^sha256:[0-9a-f]{64}$/);
    } finally {
      await sink.close();
    }
    const ledger = await queryRows<{ start_cursor: string; end_cursor: string }>(harness.db.url, `SELECT start_cursor, end_cursor FROM digested._lms_runs WHERE run_id = '${report.runId}'`);
    assert.deepEqual(ledger, [{ start_cursor: users?.startCursor, end_cursor: users?.endCursor }], 'the run ledger keeps the digests');

    const reportText = JSON.stringify(report);
    const views = await runViews(handle.workflowId);
    for (const [what, text] of [['the report', reportText], ['memos, search attributes and details', views]] as const) {
      for (const clear of ['bookmark', 'per_page=', harness.simulator.url]) assert.ok(!text.includes(clear), `${what} hold "${clear}" in clear`);
    }
    // History itself (without a key) holds the cursors: the traversal continues from them. That is what the key is for.
    assert.ok((await runHistories(handle.workflowId)).includes('bookmark'), 'history without a key holds the cursors, as documented');
  }, TEST_TIMEOUT_MS);

  it("keeps a refused student's name, email and ids out of the failure message, the report and history", async () => {
    // The third request (page 3, which carries a bookmark) is refused with a body that names a student.
    const refusing = new LmsSimulator({ users: USERS, faults: { rate: 0, kinds: ['refused-student'], atRequests: [3] } });
    await refusing.start();
    try {
      const handle = await startExport(harness.env.client, usersSpec('refused-student', refusing.url), { taskQueue: TASK_QUEUE });
      const report = await finished(handle);
      assert.equal(report.status, 'failed');
      assert.equal(refusing.faults?.injected['refused-student'], 1);
      const error = report.resources[0]?.error ?? '';
      // The status, the request (cursor masked) and what the server said with the student masked.
      assert.match(error, /400 on GET \/api\/v1\/accounts\/1\/users\?per_page=50&page=<cursor>: <name> \(<email>, SIS <number>; listed as <quoted>\) is not enrolled in this course/);

      const stored = [await runHistories(handle.workflowId), await runViews(handle.workflowId), JSON.stringify(report)].join('\n');
      for (const clear of [REFUSED_STUDENT.name, REFUSED_STUDENT.sortableName, REFUSED_STUDENT.email, REFUSED_STUDENT.sisId]) {
        assert.ok(!stored.includes(clear), `the run holds "${clear}" from the server's error text`);
      }
    } finally {
      await refusing.stop();
    }
  }, TEST_TIMEOUT_MS);
});
