import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import pg from 'pg';
import { startExport, waitForReport } from '../../src/client/exports';
import { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { progressQuery } from '../../src/workflows/definitions';
import { startHarness, type Harness } from '../helpers/harness';
import { queryRows } from '../helpers/postgres';
import { freePort } from '../helpers/ports';
import { simulatorSpec } from '../helpers/specs';
import { allRunHistories, assertReplays, historyText, recordHistoriesIfAsked } from '../helpers/history';
import { TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { progressOf } from '../helpers/progress';

const TASK_QUEUE = 'sink-errors-test';
const USERS = 300;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: USERS });
});

afterAll(() => harness?.stop());

/** Runs the users export into `sink` and returns the report with how long it took. */
async function exportInto(name: string, sink: ExportSpecInput['sink']) {
  const started = Date.now();
  const report = await waitForReport(await startExport(harness.env.client, simulatorSpec(name, harness.simulator.url, sink), { taskQueue: TASK_QUEUE }));
  return { report, seconds: (Date.now() - started) / 1000 };
}

/** Forwards `port` to the test's PostgreSQL: the sink "comes back". */
async function proxyToPostgres(port: number, target: URL): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

/** A proxy to the test's PostgreSQL that can go down at once (every connection cut) and come back on its port. */
class PostgresOutage {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly port: number,
    private readonly target: URL,
  ) {}

  async up(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(Number(this.target.port || 5432), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.sockets.forEach((s) => s.destroy());
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

/** The persistPage attempts of a workflow's history that failed, by failure type. */
async function failedPersistTypes(workflowId: string): Promise<string[]> {
  const types: string[] = [];
  for (const { history } of await allRunHistories(harness.env.client, workflowId)) {
    const events = history.events ?? [];
    const persists = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'persistPage').map((e) => String(e.eventId)));
    for (const event of events) {
      const failed = event.activityTaskFailedEventAttributes;
      if (failed && persists.has(String(failed.scheduledEventId))) types.push(failed.failure?.applicationFailureInfo?.type ?? failed.failure?.cause?.applicationFailureInfo?.type ?? 'unknown');
    }
  }
  return types;
}

describe('sink errors: final when they cannot heal, retried apart from the source when the sink is down', () => {
  it('fails within seconds when sink.path is a directory, naming sink.path', async () => {
    const dir = `.tmp/sink-errors-${process.pid}-dir`;
    mkdirSync(dir, { recursive: true });
    const { report, seconds } = await exportInto('duck-dir', { kind: 'duckdb', path: dir });
    assert.equal(report.resources[0]?.status, 'failed');
    assert.match(report.resources[0]?.error ?? '', new RegExp(`sink\\.path: ${dir} is a directory, not a DuckDB file`));
    assert.ok(seconds < 20, `failed at once, not after retries (${seconds} s)`);
  }, TEST_TIMEOUT_MS);

  it('fails at once when sink.path is a file that is not a DuckDB database', async () => {
    const path = `.tmp/sink-errors-${process.pid}.txt`;
    mkdirSync('.tmp', { recursive: true });
    writeFileSync(path, 'name,email\nada,ada@example.org\n');
    const { report, seconds } = await exportInto('duck-text', { kind: 'duckdb', path });
    assert.match(report.resources[0]?.error ?? '', new RegExp(`sink\\.path: ${path.replace(/\./g, '\\.')} exists but is not a DuckDB database file`));
    assert.ok(seconds < 20, `${seconds} s`);
  }, TEST_TIMEOUT_MS);

  it('fails at once when the sink.urlEnv variable is not set, naming it', async () => {
    delete process.env['SINK_ERRORS_UNSET_URL'];
    const { report, seconds } = await exportInto('pg-unset', { kind: 'postgres', urlEnv: 'SINK_ERRORS_UNSET_URL' });
    assert.match(report.resources[0]?.error ?? '', /sink\.urlEnv: environment variable SINK_ERRORS_UNSET_URL is not set on this worker/);
    assert.ok(seconds < 20, `${seconds} s`);
  }, TEST_TIMEOUT_MS);

  it('fails at once when the database does not exist, naming sink.urlEnv', async () => {
    const url = new URL(harness.db.url);
    url.pathname = '/lms_export_no_such_database';
    process.env['SINK_ERRORS_MISSING_DB_URL'] = url.toString();
    const { report, seconds } = await exportInto('pg-no-db', { kind: 'postgres', urlEnv: 'SINK_ERRORS_MISSING_DB_URL' });
    assert.match(report.resources[0]?.error ?? '', /sink\.urlEnv \(SINK_ERRORS_MISSING_DB_URL\): database "lms_export_no_such_database" does not exist/);
    assert.ok(seconds < 20, `${seconds} s`);
  }, TEST_TIMEOUT_MS);

  it('waits out a PostgreSQL sink that refuses connections, without opening the source circuit, then completes', async () => {
    const port = await freePort();
    const target = new URL(harness.db.url);
    const url = new URL(harness.db.url);
    url.port = String(port);
    process.env['SINK_ERRORS_FLAKY_URL'] = url.toString();
    const spec = simulatorSpec('pg-flaky', harness.simulator.url, { kind: 'postgres', urlEnv: 'SINK_ERRORS_FLAKY_URL', schema: 'flaky' }, {
      execution: { activityTimeoutSeconds: 10, maxAttempts: 5, circuitBreaker: { failures: 2, coolDownSeconds: 300, maxOpenings: 12 } },
    });
    const handle = await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE });
    const child = harness.env.client.workflow.getHandle(`${handle.workflowId}-users`);
    const whileDown = await waitFor('the sink to show as unavailable', async () => {
      const progress = await progressOf(child);
      return progress?.lastError?.startsWith('sink unavailable:') ? progress : undefined;
    });
    assert.equal(whileDown.lastError, `sink unavailable: connect ECONNREFUSED 127.0.0.1:${port}; retrying`);
    assert.equal(whileDown.circuitOpenUntil, null, 'the source is not blamed');

    const proxy = await proxyToPostgres(port, target);
    try {
      const report = await waitForReport(handle);
      const users = report.resources[0];
      assert.equal(users?.status, 'completed', users?.error);
      assert.equal(users?.circuitOpenings, 0);
      assert.equal(users?.completeness?.verdict, 'complete');
      const rows = await queryRows<{ n: string }>(harness.db.url, 'SELECT count(*) AS n FROM flaky.users');
      assert.equal(Number(rows[0]?.n), USERS);

      // The traversal that waited out the sink replays on today's workflow code.
      const histories = [...(await allRunHistories(harness.env.client, handle.workflowId)), ...(await allRunHistories(harness.env.client, child.workflowId))];
      recordHistoriesIfAsked(histories);
      await assertReplays(await workflowBundle(), histories);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  }, TEST_TIMEOUT_MS);

  it('waits out a PostgreSQL sink that goes down while a page is persisted, keeping the page, then completes', async () => {
    const records = 1_000;
    const simulator = new LmsSimulator({ users: records, latencyMs: 150 });
    await simulator.start();
    const outage = new PostgresOutage(await freePort(), new URL(harness.db.url));
    const url = new URL(harness.db.url);
    url.port = String(outage.port);
    // Trust authentication never asks for it: a secret that must not reach any history.
    url.password = 'down-mid-run-secret';
    process.env['SINK_ERRORS_DOWN_MID_RUN_URL'] = url.toString();
    await outage.up();
    // Holds the next persist mid-transaction, so the outage lands on a persist, not between pages.
    const blocker = new pg.Client({ connectionString: harness.db.url });
    await blocker.connect();
    try {
      const spec = simulatorSpec('pg-down-mid-run', simulator.url, { kind: 'postgres', urlEnv: 'SINK_ERRORS_DOWN_MID_RUN_URL', schema: 'down_mid_run' }, {
        execution: { activityTimeoutSeconds: 10, maxAttempts: 2, circuitBreaker: { failures: 2, coolDownSeconds: 300, maxOpenings: 12 } },
      });
      const handle = await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE });
      const child = harness.env.client.workflow.getHandle(`${handle.workflowId}-users`);
      await waitFor('two persisted pages', async () => ((await progressOf(child))?.pages ?? 0) >= 2);
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE down_mid_run.users IN ACCESS EXCLUSIVE MODE');
      const database = url.pathname.slice(1);
      await waitFor('a persist waiting on the table', async () => {
        const waiting = await blocker.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()", [database]);
        return waiting.rows.length > 0;
      });
      const pagesBeforeOutage = (await child.query(progressQuery)).pages;
      await outage.down();
      await blocker.query('ROLLBACK');

      const whileDown = await waitFor('a persist that failed with the sink down', async () => {
        const progress = await progressOf(child);
        return progress?.lastError?.startsWith('sink unavailable:') && (await failedPersistTypes(child.workflowId)).includes('SinkUnavailable') ? progress : undefined;
      });
      assert.match(whileDown.lastError ?? '', /^sink unavailable: .+; retrying$/);
      assert.equal(whileDown.circuitOpenUntil, null, 'the source is not blamed');
      assert.equal(whileDown.pages, pagesBeforeOutage, 'the page waits; the cursor does not move past it');
      assert.equal((await handle.describe()).status.name, 'RUNNING');

      await outage.up();
      const report = await waitForReport(handle);
      const users = report.resources[0];
      assert.equal(users?.status, 'completed', users?.error);
      assert.equal(users?.circuitOpenings, 0);
      assert.equal(users?.completeness?.verdict, 'complete');
      const rows = await queryRows<{ n: string }>(harness.db.url, 'SELECT count(*) AS n FROM down_mid_run.users');
      assert.equal(Number(rows[0]?.n), records);

      // The persist that waited out the sink replays on today's workflow code.
      const histories = [...(await allRunHistories(harness.env.client, handle.workflowId)), ...(await allRunHistories(harness.env.client, child.workflowId))];
      assert.ok(!histories.some((h) => historyText(h.history).includes(url.password)), 'the password is in no history');
      recordHistoriesIfAsked(histories);
      await assertReplays(await workflowBundle(), histories);
    } finally {
      await blocker.end();
      await outage.down();
      await simulator.stop();
    }
  }, TEST_TIMEOUT_MS);
});
