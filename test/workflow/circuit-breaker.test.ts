import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startExport, waitForReport } from '../../src/client/exports';
import { FailureType, rootFailure } from '../../src/failures';
import { resumeSignal } from '../../src/workflows/definitions';
import { ScriptedSource, scriptedPages, scriptedSpec, SOON_MS, withScriptedWorkers, type FetchCall, type Script } from '../helpers/scripted-activities';
import { startTemporal } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { progressOf } from '../helpers/progress';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTemporal();
});

afterAll(async () => {
  await env?.teardown();
});

/** Four pages of users whose second fails on the first `times` requests. */
function failingSecondPage(times: number): Script {
  const pages = scriptedPages(4, (page) => 10 + page);
  pages[1] = { records: 12, fails: { type: FailureType.ServerError, times } };
  return { traversals: { users: pages } };
}

/** Distinct activities in the order they started: each is an attempt chain, a probe is one of its own. */
function activitiesOf(calls: FetchCall[]): FetchCall[][] {
  const byId = new Map<string, FetchCall[]>();
  for (const call of calls) byId.set(call.activityId, [...(byId.get(call.activityId) ?? []), call]);
  return [...byId.values()];
}

describe('circuit breaker', () => {
  it('opens on a page that keeps failing, cools down, sends one probe, and finishes when the probe succeeds', async () => {
    const source = new ScriptedSource(failingSecondPage(2));
    const spec = scriptedSpec('breaker-probe', [{ name: 'users', path: '/users', primaryKey: ['id'] }], {
      execution: { circuitBreaker: { failures: 2, coolDownSeconds: 1, maxOpenings: 3 } },
    });
    await withScriptedWorkers(env, 'breaker-probe', source, async () => {
      const handle = await startExport(env.client, spec, { taskQueue: 'breaker-probe' });
      const open = await waitFor('the circuit to open', async () => (await progressOf(env.client.workflow.getHandle(`${handle.workflowId}-users`)))?.circuitOpenUntil ?? undefined, SOON_MS);
      const report = await waitForReport(handle);
      assert.equal(report.status, 'completed', report.resources[0]?.error);
      const users = report.resources[0];
      assert.equal(users?.circuitOpenings, 1);
      assert.equal(users?.pages, 4);
      assert.equal(users?.recordsFetched, 11 + 12 + 13 + 14);

      const [retried, probe, ...more] = activitiesOf(source.fetchesOf('users').filter((c) => c.page === 2));
      assert.deepEqual(retried?.map((c) => [c.attempt, c.failed]), [[1, true], [2, true]], 'the page is tried `failures` times before the circuit opens');
      assert.equal(more.length, 0, 'one probe, then no further request for the page');
      assert.deepEqual(probe?.map((c) => [c.attempt, c.maximumAttempts, c.failed]), [[1, 1, undefined]], 'the probe is a single attempt, and it succeeded');
      const probeAt = probe?.[0]?.at ?? 0;
      assert.ok(probeAt >= Date.parse(open), `the probe waited out the cool-down (sent ${probeAt - Date.parse(open)} ms after it ended)`);
      const lastFailure = retried?.[1]?.endedAt ?? Infinity;
      assert.ok(source.fetches.every((c) => c.at <= lastFailure || c.at >= probeAt), 'nothing was requested while the circuit was open');
      assert.ok((users?.waits.circuitOpenMs ?? 0) >= 1_000, 'the cool-down counts as circuit-open time');
    });
  }, 30_000);

  it('fails the traversal with the page’s own failure once it opened maxOpenings times', async () => {
    const source = new ScriptedSource(failingSecondPage(Infinity));
    const spec = scriptedSpec('breaker-gives-up', [{ name: 'users', path: '/users', primaryKey: ['id'] }], {
      execution: { circuitBreaker: { failures: 1, coolDownSeconds: 1, maxOpenings: 1 } },
    });
    await withScriptedWorkers(env, 'breaker-gives-up', source, async () => {
      const handle = await startExport(env.client, spec, { taskQueue: 'breaker-gives-up' });
      const report = await waitForReport(handle);
      assert.equal(report.status, 'failed');
      assert.match(report.resources[0]?.error ?? '', /scripted ServerError on users page 2/);
      // One request, the circuit open once, one probe that fails too: the failure stands.
      assert.equal(activitiesOf(source.fetchesOf('users').filter((c) => c.page === 2)).length, 2);
      assert.equal(source.fetchesOf('users').filter((c) => c.page > 2).length, 0);
      const traversal = await env.client.workflow.getHandle(`${handle.workflowId}-users`).result().then(
        () => assert.fail('the traversal completed'),
        (error: unknown) => error,
      );
      assert.ok(traversal instanceof WorkflowFailedError);
      assert.equal(rootFailure(traversal)?.type, FailureType.ServerError);
    });
  }, 30_000);

  it('probes at once when an operator resumes while the circuit is open', async () => {
    const source = new ScriptedSource(failingSecondPage(2));
    const spec = scriptedSpec('breaker-resume', [{ name: 'users', path: '/users', primaryKey: ['id'] }], {
      execution: { circuitBreaker: { failures: 2, coolDownSeconds: 600, maxOpenings: 3 } },
    });
    await withScriptedWorkers(env, 'breaker-resume', source, async () => {
      const handle = await startExport(env.client, spec, { taskQueue: 'breaker-resume' });
      const traversalId = `${handle.workflowId}-users`;
      const open = await waitFor('the circuit to open', async () => (await progressOf(env.client.workflow.getHandle(traversalId)))?.circuitOpenUntil ?? undefined, SOON_MS);
      await env.client.workflow.getHandle(traversalId).signal(resumeSignal);
      const report = await waitForReport(handle);
      assert.equal(report.status, 'completed', report.resources[0]?.error);
      const probe = activitiesOf(source.fetchesOf('users').filter((c) => c.page === 2))[1];
      assert.ok(probe !== undefined && probe[0] !== undefined && probe[0].at < Date.parse(open), 'the probe went out long before the cool-down would have ended');
      assert.equal(report.resources[0]?.circuitOpenings, 1);
    });
  }, 30_000);
});
