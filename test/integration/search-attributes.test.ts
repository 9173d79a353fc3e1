import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startLocalTemporal } from '../../src/dev/dev-server';
import { missingSearchAttributes } from '../../src/client/search-attributes';
import { startExport, waitForReport } from '../../src/client/exports';
import { LMS_SEARCH_ATTRIBUTES, LMS_SPEC } from '../../src/workflows/search-attributes';
import { lmsExport } from '../helpers/cli';
import { startHarness, type Harness } from '../helpers/harness';
import { simulatorSpec } from '../helpers/specs';
import { allRunHistories, assertReplays, recordHistoriesIfAsked } from '../helpers/history';
import { TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';

const TASK_QUEUE = 'search-attributes-test';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 400 });
});

afterAll(async () => {
  await harness?.stop();
});

async function workflowIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const run of harness.env.client.workflow.list({ query })) ids.push(run.workflowId);
  return ids.sort();
}

describe('runs in the Web UI', () => {
  it('carry search attributes that filter them by spec, source, phase and verdict, a summary and current details', async () => {
    const { simulator, db } = harness;
    const spec = simulatorSpec('findable', simulator.url, { kind: 'postgres', url: db.url, schema: 'findable' });
    const handle = await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE });
    const report = await waitForReport(handle);
    assert.equal(report.status, 'completed');

    const host = new URL(simulator.url).host;
    assert.deepEqual(await workflowIds(`LmsSpec = "findable" AND LmsVerdict = "complete" AND LmsPhase = "done"`), [handle.workflowId]);
    assert.deepEqual(await workflowIds(`LmsSource = "${host}" AND LmsPreset = "canvas" AND LmsResources = "users" AND LmsRecords = 400`), [handle.workflowId]);
    assert.deepEqual(await workflowIds(`LmsSpec = "findable" AND LmsVerdict = "incomplete"`), []);
    // Children (the resource traversals) stay findable by their parent, and out of a list that filters on LmsSpec.
    assert.deepEqual(await workflowIds(`ParentWorkflowId = "${handle.workflowId}"`), [`${handle.workflowId}-users`, `${handle.workflowId}-users-deletions`]);

    const description = await handle.describe();
    assert.equal(description.typedSearchAttributes.get(LMS_SPEC), 'findable');
    assert.equal(await description.staticSummary(), `export findable: users from ${host} into PostgreSQL schema findable`);
    const metadata = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
    assert.match(metadata.currentDetails ?? '', /^\*\*findable\*\*: done; 400 records in finished resources; verdict complete\n\n- users: completed, 400 records$/);

    // Each page request is named in the Web UI's event list: which page of which path.
    const childHistory = await harness.env.client.workflow.getHandle(`${handle.workflowId}-users`).fetchHistory();
    const summaries = (childHistory.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'fetchPage')
      .map((e) => Buffer.from(e.userMetadata?.summary?.data ?? new Uint8Array()).toString());
    assert.deepEqual(summaries.slice(0, 2), ['"GET /accounts/1/users page 1"', '"GET /accounts/1/users page 2"']);

    // A run that upserts its search attributes replays on today's code.
    const histories = await allRunHistories(harness.env.client, handle.workflowId);
    recordHistoriesIfAsked(histories);
    await assertReplays(await workflowBundle(), histories);
  }, TEST_TIMEOUT_MS);

  it('lms-export setup registers them on a namespace that lacks them, once', async () => {
    const { server } = await startLocalTemporal({ searchAttributes: [] });
    try {
      const { connection } = server;
      assert.equal((await missingSearchAttributes(connection, 'default')).length, LMS_SEARCH_ATTRIBUTES.length);
      const first = await lmsExport(['setup'], { address: server.address });
      assert.match(first.stdout, /^namespace default: registered LmsSpec, LmsSource, LmsPreset, LmsResources, LmsPhase, LmsPaused, LmsVerdict, LmsRecords$/m);
      assert.deepEqual(await missingSearchAttributes(connection, 'default'), []);
      const again = await lmsExport(['setup'], { address: server.address });
      assert.match(again.stdout, /namespace default has every lms-export search attribute already/);
    } finally {
      await server.teardown();
    }
  }, TEST_TIMEOUT_MS);
});
