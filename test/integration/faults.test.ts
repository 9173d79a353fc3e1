import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { exportStatus, startExport, waitForReport } from '../../src/client/exports';
import { LmsSimulator, type SimulatorOptions } from '../../src/simulator/server';
import { progressQuery } from '../../src/workflows/definitions';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { startHarness, type Harness } from '../helpers/harness';
import { queryRows } from '../helpers/postgres';
import { withSimulator } from '../helpers/simulator';
import { TOKEN_ENV } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { progressOf } from '../helpers/progress';

const TASK_QUEUE = 'faults-test';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 10 });
});

afterAll(() => harness?.stop());

interface Tweaks {
  source?: Partial<ExportSpecInput['source']>;
  resource?: Partial<ExportSpecInput['resources'][number]>;
  /** Below the simulator's origin; Canvas's `/api/v1` unless given. */
  basePath?: string;
}

/** Exports the simulator's Canvas users (bookmark pages), or what the tweaks say, from a simulator made for the test. */
async function exportFrom(name: string, options: SimulatorOptions, { source = {}, resource = {}, basePath = '/api/v1' }: Tweaks = {}) {
  const simulator = new LmsSimulator(options);
  await simulator.start();
  try {
    const spec: ExportSpecInput = {
      name,
      source: { preset: 'canvas', auth: { bearerTokenEnv: TOKEN_ENV }, requestTimeoutMs: 1_000, ...source, baseUrl: simulator.url + basePath },
      resources: [{ name: name.replace(/-/g, '_'), path: '/accounts/1/users', primaryKey: ['id'], pageSize: 100, ...resource }],
      sink: { kind: 'postgres', url: harness.db.url, schema: 'faults' },
      execution: { activityTimeoutSeconds: 10, maxAttempts: 10 },
    };
    const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
    return { simulator, report, table: `faults.${name.replace(/-/g, '_')}` };
  } finally {
    await simulator.stop();
  }
}

describe('faults and throttling', () => {
  it('ends exact through a storm of 500s, 502s, 503s, resets, hangs, truncated JSON and HTML pages', async () => {
    // No spot check: its re-fetches would draw faults of their own, outside the traversal's counts.
    const { simulator, report, table } = await exportFrom('storm', { users: 3_000, faults: { rate: 0.2, seed: 11 } }, { resource: { completeness: { spotCheck: false } } });
    assert.equal(report.status, 'completed', report.resources[0]?.error);
    const injected = Object.values(simulator.faults?.injected ?? {}).reduce((a, b) => a + b, 0);
    assert.ok(injected >= 4 && Object.keys(simulator.faults?.injected ?? {}).length >= 3, `faults injected: ${JSON.stringify(simulator.faults?.injected)}`);
    const waits = report.resources[0]?.waits;
    assert.equal(Object.values(waits?.retries ?? {}).reduce((a, b) => a + b, 0), injected, `every fault is counted by cause: ${JSON.stringify(waits)}`);
    const rows = await queryRows<{ id: string }>(harness.db.url, `SELECT id FROM ${table}`);
    assert.equal(new Set(rows.map((r) => r.id)).size, rows.length);
    assert.deepEqual(rows.map((r) => Number(r.id)).sort((a, b) => a - b), simulator.truth('/api/v1/accounts/1/users').map((r) => r.id));
  }, TEST_TIMEOUT_MS);

  for (const form of ['seconds', 'http-date'] as const) {
    it(`waits out Retry-After (${form}): no request before 3 s have passed`, async () => {
      const { simulator, report } = await exportFrom(`retry-after-${form}`, { users: 600, throttle: { requests: [3], seconds: 3, form } });
      assert.equal(report.status, 'completed', report.resources[0]?.error);
      const [throttledAt] = simulator.stats.throttled;
      assert.ok(throttledAt !== undefined, 'the simulator throttled a request');
      const later = simulator.stats.arrivals.filter((at) => at > throttledAt);
      assert.ok(later.length > 0);
      assert.ok(Math.min(...later) - throttledAt >= 3_000, `next request after ${Math.min(...later) - throttledAt} ms`);
      const waits = report.resources[0]?.waits;
      assert.equal(waits?.throttled, 1);
      assert.ok((waits?.waitedMs ?? 0) >= 2_000 && (waits?.waitedMs ?? 0) <= 4_000, `waited ${waits?.waitedMs} ms`);
      assert.equal(waits?.serverWaitMs, waits?.waitedMs, "all of it on the server's word");
      assert.equal(waits?.backoffMs, 0);
    }, TEST_TIMEOUT_MS);
  }

  it('fails fast, in one request, on 401, 404 and a 400 with the server message', async () => {
    process.env['FAULTS_TEST_WRONG_TOKEN'] = 'nope';
    const denied = await exportFrom('denied', { users: 50 }, { source: { auth: { bearerTokenEnv: 'FAULTS_TEST_WRONG_TOKEN' } } });
    assert.match(denied.report.resources[0]?.error ?? '', /401 on GET \/api\/v1\/accounts\/1\/users\?per_page=100: Invalid access token\. \(check the token in FAULTS_TEST_WRONG_TOKEN\)/);
    assert.equal(denied.simulator.stats.pageRequests, 1);

    const missing = await exportFrom('missing', { users: 50 }, { resource: { path: '/accounts/1/pupils' } });
    assert.match(missing.report.resources[0]?.error ?? '', /404 on GET \/api\/v1\/accounts\/1\/pupils\?per_page=100: no such collection; check the resource path/);
    assert.equal(missing.simulator.stats.notFound, 1);

    // A generic source asking Blackboard for more than it allows per page: Blackboard answers 400 and says why.
    const refused = await exportFrom('refused', { users: 50 }, {
      basePath: '',
      source: { preset: 'generic' },
      resource: { path: '/learn/api/public/v1/users', pageSize: 500, pagination: { type: 'body-link' } },
    });
    assert.match(refused.report.resources[0]?.error ?? '', /400 on GET \/learn\/api\/public\/v1\/users\?\S*limit=500\S*: Invalid limit: must be between 1 and 100/);
    assert.equal(refused.simulator.stats.pageRequests, 1);
  }, TEST_TIMEOUT_MS);
});

describe('circuit breaker', () => {
  it('opens after repeated failures, sends nothing while cooling down, shows it in progress, then probes and finishes', async () => {
    // Two pages go through, then the source fails every request until the test heals it.
    const simulator = new LmsSimulator({ users: 800, faults: { rate: 1, kinds: ['503'], afterRequests: 2 } });
    await simulator.start();
    try {
      const spec: ExportSpecInput = {
        name: 'breaker',
        source: { preset: 'canvas', baseUrl: `${simulator.url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV } },
        resources: [{ name: 'breaker_users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 100 }],
        sink: { kind: 'postgres', url: harness.db.url, schema: 'faults' },
        execution: { activityTimeoutSeconds: 10, circuitBreaker: { failures: 2, coolDownSeconds: 4, maxOpenings: 3 } },
      };
      const handle = await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE });
      const child = harness.env.client.workflow.getHandle(`${handle.workflowId}-breaker_users`);
      const open = await waitFor('the circuit to open', async () => (await progressOf(child))?.circuitOpenUntil ?? undefined);
      const openedAt = Date.now();
      // Why it waits stays visible while it cools down: the failure the circuit opened on.
      assert.match((await child.query(progressQuery)).lastError ?? '', /503 on GET \/api\/v1\/accounts\/1\/users/);
      const requestsWhenOpen = simulator.stats.pageRequests;
      simulator.faults = undefined;

      const report = await waitForReport(handle);
      assert.equal(report.status, 'completed', report.resources[0]?.error);
      assert.equal(report.resources[0]?.circuitOpenings, 1);
      const openMs = report.resources[0]?.waits.circuitOpenMs ?? 0;
      assert.ok(openMs >= 3_900 && openMs < 8_000, `the 4 s cool-down is accounted as circuit-open time (${openMs} ms)`);
      const probe = simulator.stats.arrivals[requestsWhenOpen];
      assert.ok(probe !== undefined && probe >= Date.parse(open) - 50, `the probe went out at the end of the cool-down (${probe} vs ${open})`);
      assert.ok(probe - openedAt >= 2_500, 'nothing was sent while the circuit was open');
      const rows = await queryRows<{ id: string }>(harness.db.url, 'SELECT id FROM faults.breaker_users');
      assert.equal(rows.length, 800);
    } finally {
      await simulator.stop();
    }
  }, TEST_TIMEOUT_MS);
});

describe('a run that is retrying', () => {
  it("shows the failing activity's attempt and last failure in status while it retries", async () => {
    await withSimulator({ users: 300, faults: { rate: 1, kinds: ['500'], afterRequests: 1 } }, async (simulator) => {
      const spec: ExportSpecInput = {
        name: 'retrying',
        source: { preset: 'canvas', baseUrl: `${simulator.url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV } },
        resources: [{ name: 'retrying_users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 100 }],
        sink: { kind: 'postgres', url: harness.db.url, schema: 'faults' },
        execution: { activityTimeoutSeconds: 10, circuitBreaker: { failures: 20, coolDownSeconds: 4, maxOpenings: 3 } },
      };
      const handle = await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE });
      const retrying = await waitFor('status to show the retried fetch', async () => {
        const status = await exportStatus(harness.env.client, handle.workflowId).catch(() => undefined);
        return status?.retrying['retrying_users']?.find((a) => a.attempt >= 2);
    });
    assert.equal(retrying.activity, 'fetchPage');
    assert.match(retrying.lastFailure, /500 on GET \/api\/v1\/accounts\/1\/users\?\S+: An error occurred\./);
    simulator.faults = undefined;
    const report = await waitForReport(handle);
    assert.equal(report.status, 'completed', report.resources[0]?.error);
    });
  }, TEST_TIMEOUT_MS);
});

describe('Canvas leaky bucket', () => {
  it('paces 4 parallel resources to the sustainable rate without a single throttled answer', async () => {
    // Canvas's bucket shape (700 high water, 50 up front) draining 10× faster than Canvas, so the test takes
    // seconds: 100 units/s at 10 units a request sustains 10 requests/s — a rate the worker keeps up with even
    // when the machine is busy with other test files, so falling short of it means the pacing held back.
    const bucket = { highWater: 700, upfront: 50, leakPerSecond: 100, cost: 10 };
    const simulator = new LmsSimulator({ users: 2_500, courses: 3, enrollmentsPerCourse: 2_500, latencyMs: 20, canvasBucket: bucket });
    await simulator.start();
    try {
      const spec: ExportSpecInput = {
        name: 'bucket',
        source: { preset: 'canvas', baseUrl: `${simulator.url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV }, rateLimit: { leakPerSecond: bucket.leakPerSecond } },
        resources: [
          { name: 'bucket_users', path: '/accounts/1/users', primaryKey: ['id'] },
          ...[1, 2, 3].map((course) => ({ name: `bucket_enrollments_${course}`, path: `/courses/${course}/enrollments`, primaryKey: ['id'] })),
        ],
        sink: { kind: 'postgres', url: harness.db.url, schema: 'bucket' },
        execution: { maxParallelResources: 4 },
      };
      const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
      assert.equal(report.status, 'completed');
      assert.equal(report.resources.reduce((n, r) => n + r.recordsFetched, 0), 10_000);
      assert.deepEqual(simulator.stats.throttled, [], 'no throttled answer');

      // The bucket's capacity lets the first ~70 requests through at once: the rate that tells whether pacing holds
      // back is the steady one, over the second half of the requests.
      const arrivals = simulator.stats.arrivals;
      const steady = arrivals.slice(Math.floor(arrivals.length / 2));
      const seconds = ((steady[steady.length - 1] ?? 0) - (steady[0] ?? 0)) / 1000;
      const rate = (steady.length - 1) / seconds;
      const sustainable = bucket.leakPerSecond / bucket.cost;
      console.log(`bucket: ${arrivals.length} requests, the last ${steady.length} in ${seconds.toFixed(1)} s = ${rate.toFixed(1)}/s, ${((100 * rate) / sustainable).toFixed(0)}% of the sustainable ${sustainable}/s, peak ${simulator.stats.peakInFlight} in flight`);
      assert.ok(rate >= 0.8 * sustainable, `ran at ${rate.toFixed(1)} requests/s, under 80% of ${sustainable}`);
    } finally {
      await simulator.stop();
    }
  }, TEST_TIMEOUT_MS);
});
