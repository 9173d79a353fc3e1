import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { AttemptLog } from '../../src/activities/attempt-log';
import { getJson } from '../../src/activities/get-json';
import { credentialsFor } from '../../src/activities/credentials';
import { startExport, waitForReport } from '../../src/client/exports';
import { LmsSimulator } from '../../src/simulator/server';
import { sourceSchema, type SourceConfig } from '../../src/spec/export-spec';
import { startHarness, type Harness } from '../helpers/harness';
import { queryRows } from '../helpers/postgres';
import { simulatorSpec } from '../helpers/specs';
import { allRunHistories, assertReplays, recordHistoriesIfAsked } from '../helpers/history';
import { TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

/**
 * A server on 127.0.0.1 that misbehaves on purpose: `/drip` sends its headers and `[`, then one byte every
 * 200 ms forever; `/endless` streams a body that never ends; `/huge` announces 10 GB and sends nothing more;
 * `/ok` answers at once. It counts the connections open that served a hostile answer, so a test sees whether
 * we let go of them (a keep-alive connection that served `/ok` does not count).
 */
class HostileServer {
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly hostileSockets = new WeakSet<Socket>();
  openConnections = 0;
  url = '';

  constructor() {
    this.server = createServer((req, res) => {
      if (req.url === '/ok') return void res.writeHead(200, { 'content-type': 'application/json' }).end('[{"id":1}]');
      const socket = req.socket;
      if (!this.hostileSockets.has(socket)) {
        this.hostileSockets.add(socket);
        this.openConnections += 1;
        socket.on('close', () => (this.openConnections -= 1));
      }
      if (req.url === '/huge') return void res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(10 * 1024 ** 3) }).write('[');
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/drip') this.every(res, 200, () => res.write(' '), '[');
      else this.every(res, 1, () => res.write(Buffer.alloc(64 * 1024, 0x20)), '[');
    });
  }

  private every(res: ServerResponse, ms: number, send: () => void, first: string): void {
    res.write(first);
    const timer = setInterval(send, ms);
    this.timers.add(timer);
    res.on('close', () => {
      clearInterval(timer);
      this.timers.delete(timer);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const hostile = new HostileServer();
beforeAll(() => hostile.start());
afterAll(() => hostile.stop());

function source(settings: Partial<SourceConfig> = {}): SourceConfig {
  return sourceSchema.parse({ baseUrl: hostile.url, requestTimeoutMs: 1_000, ...settings });
}

/** Fetches `path`, returning the failure and how long it took to come. */
async function failureOf(fetch: () => Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const started = Date.now();
  try {
    await fetch();
  } catch (error) {
    return { error: error as Error, ms: Date.now() - started };
  }
  throw new Error('the fetch succeeded');
}

async function assertLetGo(): Promise<void> {
  await waitFor('the hostile server to see every connection closed', () => hostile.openConnections === 0, 5_000);
  const started = Date.now();
  const { body } = await getJson(`${hostile.url}/ok`, source(), credentialsFor(source()), 'follow-up');
  assert.deepEqual(body, [{ id: 1 }]);
  assert.ok(Date.now() - started < 1_000, `the next request to the origin took ${Date.now() - started} ms`);
}

/** Without the limits these fetches never end: a bound makes such a test fail instead of hanging. */
const BOUNDED = { timeout: 15_000 };

describe('requests to a hostile server', () => {
  it('gives up on a body dripping a byte at a time at source.requestTimeoutMs, and closes the socket', async () => {
    const { error, ms } = await failureOf(() => getJson(`${hostile.url}/drip`, source(), credentialsFor(source()), 'resource drip'));
    assert.match(error.message, /resource drip: GET \/drip failed: no complete answer within 1000 ms \(source\.requestTimeoutMs\)/);
    assert.ok(error instanceof ApplicationFailure && !error.nonRetryable, 'a fault worth another try');
    assert.ok(ms >= 900 && ms < 2_500, `failed after ${ms} ms`);
    await assertLetGo();
  }, BOUNDED.timeout);

  it('inside an activity, gives up at the attempt timeout when that comes first, heartbeating meanwhile', async () => {
    const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 1_500 });
    // Beats while the body drips, before the one the failing attempt sends with its retry log.
    let heartbeats = 0;
    env.on('heartbeat', (log: AttemptLog) => (heartbeats += log.retries['NetworkError'] === undefined ? 1 : 0));
    const slow = source({ requestTimeoutMs: 60_000 });
    const { error, ms } = await failureOf(() => env.run(() => getJson(`${hostile.url}/drip`, slow, credentialsFor(slow), 'resource drip')));
    assert.match(error.message, /no complete answer within 1500 ms \(the attempt's start-to-close timeout/);
    assert.ok(ms < 3_000, `failed after ${ms} ms`);
    assert.ok(heartbeats >= 1, 'a long request heartbeats, so a cancellation can reach it');
    await assertLetGo();
  }, BOUNDED.timeout);

  it('stops reading and closes the socket as soon as the activity is cancelled', async () => {
    const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 60_000 });
    const slow = source({ requestTimeoutMs: 60_000 });
    const fetching = failureOf(() => env.run(() => getJson(`${hostile.url}/drip`, slow, credentialsFor(slow), 'resource drip')));
    await waitFor('the drip to start', () => hostile.openConnections > 0, 5_000);
    setTimeout(() => env.cancel('CANCELLED'), 300);
    const { error, ms } = await fetching;
    assert.ok(error instanceof CancelledFailure, `ended as cancelled, not as a fault to retry: ${error.name}: ${error.message}`);
    assert.ok(ms < 2_000, `cancelled after ${ms} ms`);
    await assertLetGo();
  }, BOUNDED.timeout);

  it('fails an endless body at source.maxPageBytes, naming the limit, without retrying, and closes the socket', async () => {
    const small = source({ maxPageBytes: 1024 * 1024, requestTimeoutMs: 30_000 });
    const { error, ms } = await failureOf(() => getJson(`${hostile.url}/endless`, small, credentialsFor(small), 'resource endless'));
    assert.match(error.message, /resource endless: GET \/endless: the body passed source\.maxPageBytes \(1048576 bytes\); lower the resource's pageSize or raise source\.maxPageBytes/);
    assert.ok(error instanceof ApplicationFailure && error.nonRetryable && error.type === 'PageTooLarge');
    assert.ok(ms < 5_000, `failed after ${ms} ms`);
    await assertLetGo();
  }, BOUNDED.timeout);

  it('refuses a body announced larger than source.maxPageBytes before reading it', async () => {
    const { error, ms } = await failureOf(() => getJson(`${hostile.url}/huge`, source({ requestTimeoutMs: 30_000 }), credentialsFor(source()), 'resource huge'));
    assert.match(error.message, /announces 10737418240 bytes, more than source\.maxPageBytes \(67108864 bytes\)/);
    assert.ok(ms < 1_000, `failed after ${ms} ms`);
    await assertLetGo();
  }, BOUNDED.timeout);
});

describe('hostile answers through a whole export', () => {
  const TASK_QUEUE = 'hostile-server-test';
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(TASK_QUEUE, { users: 10 });
  });
  afterAll(() => harness?.stop());

  it('fails the resource at once with Retry-After and its value in the error, instead of parking it for years', async () => {
    const simulator = new LmsSimulator({ users: 300, throttle: { requests: [2], seconds: 999_999_999, form: 'seconds' } });
    await simulator.start();
    try {
      const spec = simulatorSpec('retry-after-years', simulator.url, { kind: 'postgres', url: harness.db.url, schema: 'hostile' });
      const started = Date.now();
      const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
      assert.equal(report.resources[0]?.status, 'failed');
      assert.match(report.resources[0]?.error ?? '', /Retry-After: 999999999, a wait of 32 years, beyond source\.maxServerWaitSeconds \(900 s\)/);
      assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`);
      assert.equal(simulator.stats.throttled.length, 1, 'one throttled answer, no retry after it');
    } finally {
      await simulator.stop();
    }
  }, TEST_TIMEOUT_MS);

  it('marks a parent keyed ".." failed, naming the field, instead of exporting another path of the origin as its children', async () => {
    // Courses "1" and ".."; /enrollments is what /courses/../enrollments resolves to.
    const collections: Record<string, unknown[]> = {
      '/courses': [{ id: '1' }, { id: '..' }],
      '/courses/1/enrollments': [{ id: 'e1' }],
      '/enrollments': [{ id: 'not-a-child-of-any-course' }],
    };
    const requested: string[] = [];
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      requested.push(path);
      const records = collections[path];
      res.writeHead(records === undefined ? 404 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(records ?? { message: 'no such path' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const report = await waitForReport(
        await startExport(harness.env.client, {
          name: 'dot-parent',
          source: { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
          resources: [
            { name: 'courses', path: '/courses', primaryKey: ['id'], pagination: { type: 'link-header' } },
            {
              name: 'enrollments',
              path: '/courses/{course_id}/enrollments',
              primaryKey: ['id'],
              pagination: { type: 'link-header' },
              parent: { resource: 'courses', as: 'course_id' },
            },
          ],
          sink: { kind: 'postgres', url: harness.db.url, schema: 'dot_parent' },
        }, { taskQueue: TASK_QUEUE }),
      );
      const enrollments = report.resources.find((r) => r.resource === 'enrollments');
      assert.equal(enrollments?.status, 'failed');
      assert.deepEqual(enrollments?.parents?.failed, [
        { key: '..', reason: 'parent field course_id is "..", which cannot fill {course_id} in /courses/{course_id}/enrollments: the request would leave the parent\'s own path; fix or remove that parent record' },
      ]);
      assert.equal(enrollments?.parents?.done, 2);
      assert.ok(!requested.includes('/enrollments'), `requested: ${requested.join(', ')}`);
      const rows = await queryRows<{ id: string }>(harness.db.url, 'SELECT id FROM dot_parent.enrollments');
      assert.deepEqual(rows.map((r) => r.id), ['e1']);

      // The fan-out that refused the parent replays on today's workflow code.
      const histories = await allRunHistories(harness.env.client, `${report.workflowId}-enrollments`);
      assert.ok(histories.length >= 1);
      recordHistoriesIfAsked(histories);
      await assertReplays(await workflowBundle(), histories);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }, TEST_TIMEOUT_MS);
});
