import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import { formatReport } from '../../src/cli/format-report';
import { FaultInjector } from '../../src/simulator/faults';
import { startHarness, type Harness } from '../helpers/harness';
import { queryRows } from '../helpers/postgres';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

const TASK_QUEUE = 'latency-timeouts-test';
const REQUEST_TIMEOUT_MS = 60_000;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 1_500, latencyMs: 20 });
});

afterAll(async () => {
  await harness?.stop();
});

describe('timeouts that follow the source', () => {
  it('a source answering in ~20 ms that never answers one request: abandoned in seconds, retried, counted, exact', async () => {
    const { simulator } = harness;
    // The 12th request (its worker has seen 11 answers by then) is accepted and never answered.
    simulator.faults = new FaultInjector({ rate: 0, kinds: ['hang'], atRequests: [12] });
    const spec = simulatorSpec('latency', simulator.url, { kind: 'postgres', url: harness.db.url, schema: 'latency' }, {
      source: { preset: 'canvas', baseUrl: `${simulator.url}/api/v1`, auth: { bearerTokenEnv: 'LMS_EXPORT_TEST_TOKEN' }, requestTimeoutMs: REQUEST_TIMEOUT_MS },
      resources: [{ name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 50 }],
      execution: { activityTimeoutSeconds: 120, maxAttempts: 5 },
    });
    const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
    const users = report.resources[0];
    assert.equal(report.status, 'completed', users?.error);
    assert.equal(simulator.faults.injected.hang, 1, 'one request hung');
    assert.deepEqual(users?.waits.retries, { RequestAbandoned: 1 }, 'counted as an abandoned request, not a network fault');
    // Every second accounted for: ~2 s in the abandoned request, then the backoff before its retry.
    const waits = users?.waits;
    assert.ok((waits?.failedRequestMs ?? 0) >= 1_900 && (waits?.failedRequestMs ?? 0) < 10_000, `failed request time ${waits?.failedRequestMs} ms`);
    assert.ok((waits?.backoffMs ?? 0) >= 500 && (waits?.backoffMs ?? 0) <= 1_000, `backoff ${waits?.backoffMs} ms`);
    assert.equal(waits?.serverWaitMs, 0);
    assert.match(formatReport(report), /\n {4}time: \d+\.\d s; lost \d\.\d s backoff after failures, \d\.\d s failed requests; \d+\.\d s work \(requests answered, staging, storing\)/);
    // Waiting out requestTimeoutMs would take a minute on its own; the run as a whole takes a fraction of that.
    assert.ok((users?.durationMs ?? Infinity) < REQUEST_TIMEOUT_MS / 2, `the hung request was abandoned early: the run took ${users?.durationMs} ms`);
    const stored = await queryRows<{ id: string }>(harness.db.url, 'SELECT id FROM latency.users ORDER BY id::int');
    assert.deepEqual(stored.map((r) => Number(r.id)), simulator.truth('/api/v1/accounts/1/users').map((r) => r.id));
  }, TEST_TIMEOUT_MS);
});
