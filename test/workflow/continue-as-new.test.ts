import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startExport, waitForReport } from '../../src/client/exports';
import type { ExportResourceInput } from '../../src/workflows/export-resource';
import { ScriptedSource, scriptedPages, scriptedSpec, withScriptedWorkers } from '../helpers/scripted-activities';
import { startTemporal } from '../helpers/temporal';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  // The test server lets a run continue as new without waiting (test/helpers/temporal.ts): these runs are short on purpose.
  env = await startTemporal();
});

afterAll(async () => {
  await env?.teardown();
});

/** What each run of a workflow id handed the next when it continued as new, first run first (the last run hands nothing). */
async function continuations(workflowId: string): Promise<ExportResourceInput[]> {
  const description = await env.client.workflow.getHandle(workflowId).describe();
  let runId: string | null | undefined = description.raw.workflowExecutionInfo?.firstRunId;
  const inputs: ExportResourceInput[] = [];
  while (runId) {
    const { events } = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const continued = events?.find((e) => e.workflowExecutionContinuedAsNewEventAttributes)?.workflowExecutionContinuedAsNewEventAttributes;
    const payload = continued?.input?.payloads?.[0];
    if (payload) inputs.push(defaultPayloadConverter.fromPayload<ExportResourceInput>(payload));
    runId = continued?.newExecutionRunId;
  }
  return inputs;
}

/** Each page's requests: every page of `count` exactly once, each under its own page number. */
function assertEachPageOnce(source: ScriptedSource, traversal: string, count: number): void {
  const fetched = source.fetchesOf(traversal);
  assert.deepEqual(fetched.map((c) => c.page).sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i + 1));
  assert.ok(fetched.every((c) => c.pageNumber === c.page), 'page numbers follow the cursor');
  assert.deepEqual(source.persists.filter((p) => p.traversal === traversal).map((p) => p.pageNumber), Array.from({ length: count }, (_, i) => i + 1));
}

describe('continue-as-new', () => {
  it('carries the cursor and counters through each run of a small page budget', async () => {
    const source = new ScriptedSource({ traversals: { users: scriptedPages(7, (page) => page) } });
    const spec = scriptedSpec('can-budget', [{ name: 'users', path: '/users', primaryKey: ['id'] }], { execution: { pagesBeforeContinueAsNew: 2 } });
    await withScriptedWorkers(env, 'can-budget', source, async () => {
      const handle = await startExport(env.client, spec, { taskQueue: 'can-budget' });
      const report = await waitForReport(handle);
      assert.equal(report.status, 'completed', report.resources[0]?.error);
      const users = report.resources[0];
      assert.equal(users?.continuedAsNew, 3);
      assert.equal(users?.pages, 7);
      assert.equal(users?.recordsFetched, 1 + 2 + 3 + 4 + 5 + 6 + 7);
      assert.equal(users?.inserted, 28);
      assertEachPageOnce(source, 'users', 7);

      const carried = (await continuations(`${handle.workflowId}-users`)).map((input) => input.carried);
      assert.deepEqual(carried.map((c) => [c?.pages, c?.recordsFetched, c?.cursor]), [
        [2, 3, { kind: 'token', token: 'users#3' }],
        [4, 10, { kind: 'token', token: 'users#5' }],
        [6, 21, { kind: 'token', token: 'users#7' }],
      ]);
      // At the budget no page is fetched ahead: the next run asks for it.
      assert.ok(carried.every((c) => c?.fetchedAhead === undefined));
    });
  }, 30_000);

  it('hands a page fetched ahead to the next run when the server suggests continuing, and never fetches it again', async () => {
    // The dev server suggests continue-as-new past SUGGEST_CONTINUE_AS_NEW_AFTER history events: after a dozen pages.
    // Persists slower than fetches: the page ahead is fetched while its predecessor is persisted, so the suggestion
    // is read at the top of the loop with that page in hand (were fetches slower, the suggestion could come first
    // where the next fetch is decided, and the run would continue with no page ahead).
    const pages = 20;
    const source = new ScriptedSource({ traversals: { users: scriptedPages(pages, (page) => page % 7) }, persistLatencyMs: 40 });
    const spec = scriptedSpec('can-suggested', [{ name: 'users', path: '/users', primaryKey: ['id'] }]);
    await withScriptedWorkers(env, 'can-suggested', source, async () => {
      const handle = await startExport(env.client, spec, { taskQueue: 'can-suggested' });
      const report = await waitForReport(handle);
      assert.equal(report.status, 'completed', report.resources[0]?.error);
      const carried = (await continuations(`${handle.workflowId}-users`)).map((input) => input.carried);
      assert.ok(carried.length >= 1, 'the server suggested continuing');
      assert.equal(report.resources[0]?.continuedAsNew, carried.length);
      const ahead = carried.map((c) => c?.fetchedAhead?.pageNumber).filter((n) => n !== undefined);
      assert.ok(ahead.length > 0, 'some run continued with a page fetched ahead');
      for (const page of ahead) assert.equal(source.fetchesOf('users').filter((c) => c.page === page).length, 1, `page ${page} was fetched once`);
      assert.equal(report.resources[0]?.recordsFetched, Array.from({ length: pages }, (_, i) => (i + 1) % 7).reduce((a, b) => a + b, 0));
      assert.equal(report.resources[0]?.pages, pages);
      assertEachPageOnce(source, 'users', pages);
    });
  }, 30_000);
});
