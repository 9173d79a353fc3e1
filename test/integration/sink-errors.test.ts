import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startExport, waitForReport } from '../../src/client/exports';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { progressQuery } from '../../src/workflows/definitions';
import { startHarness, type Harness } from '../helpers/harness';
import { queryRows } from '../helpers/postgres';
import { simulatorSpec } from '../helpers/specs';
import { allRunHistories, assertReplays, recordHistoriesIfAsked } from '../helpers/history';
import { TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const TASK_QUEUE = 'sink-errors-test';
const USERS = 300;

let harness: Harness;

before(async () => {
  harness = await startHarness(TASK_QUEUE, { users: USERS });
});

after(() => harness?.stop());

/** Runs the users export into `sink` and returns the report with how long it took. */
async function exportInto(name: string, sink: ExportSpecInput['sink']) {
  const started = Date.now();
  const report = await waitForReport(await startExport(harness.env.client, simulatorSpec(name, harness.simulator.url, sink), { taskQueue: TASK_QUEUE }));
  return { report, seconds: (Date.now() - started) / 1000 };
}

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
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

describe('sink errors: final when they cannot heal, retried apart from the source when the sink is down', () => {
  it('fails within seconds when sink.path is a directory, naming sink.path', { timeout: TEST_TIMEOUT_MS }, async () => {
    const dir = `.tmp/sink-errors-${process.pid}-dir`;
    mkdirSync(dir, { recursive: true });
    const { report, seconds } = await exportInto('duck-dir', { kind: 'duckdb', path: dir });
    assert.equal(report.resources[0]?.status, 'failed');
    assert.match(report.resources[0]?.error ?? '', new RegExp(`sink\\.path: ${dir} is a directory, not a DuckDB file`));
    assert.ok(seconds < 20, `failed at once, not after retries (${seconds} s)`);
  });

  it('fails at once when sink.path is a file that is not a DuckDB database', { timeout: TEST_TIMEOUT_MS }, async () => {
    const path = `.tmp/sink-errors-${process.pid}.txt`;
    mkdirSync('.tmp', { recursive: true });
    writeFileSync(path, 'name,email\nada,ada@example.org\n');
    const { report, seconds } = await exportInto('duck-text', { kind: 'duckdb', path });
    assert.match(report.resources[0]?.error ?? '', new RegExp(`sink\\.path: ${path.replace(/\./g, '\\.')} exists but is not a DuckDB database file`));
    assert.ok(seconds < 20, `${seconds} s`);
  });

  it('fails at once when the sink.urlEnv variable is not set, naming it', { timeout: TEST_TIMEOUT_MS }, async () => {
    delete process.env['SINK_ERRORS_UNSET_URL'];
    const { report, seconds } = await exportInto('pg-unset', { kind: 'postgres', urlEnv: 'SINK_ERRORS_UNSET_URL' });
    assert.match(report.resources[0]?.error ?? '', /sink\.urlEnv: environment variable SINK_ERRORS_UNSET_URL is not set on this worker/);
    assert.ok(seconds < 20, `${seconds} s`);
  });

  it('fails at once when the database does not exist, naming sink.urlEnv', { timeout: TEST_TIMEOUT_MS }, async () => {
    const url = new URL(harness.db.url);
    url.pathname = '/lms_export_no_such_database';
    process.env['SINK_ERRORS_MISSING_DB_URL'] = url.toString();
    const { report, seconds } = await exportInto('pg-no-db', { kind: 'postgres', urlEnv: 'SINK_ERRORS_MISSING_DB_URL' });
    assert.match(report.resources[0]?.error ?? '', /sink\.urlEnv \(SINK_ERRORS_MISSING_DB_URL\): database "lms_export_no_such_database" does not exist/);
    assert.ok(seconds < 20, `${seconds} s`);
  });

  it('waits out a PostgreSQL sink that refuses connections, without opening the source circuit, then completes', { timeout: TEST_TIMEOUT_MS }, async () => {
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
      const progress = await child.query(progressQuery).catch(() => undefined);
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
  });
});
