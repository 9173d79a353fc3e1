/**
 * What durability costs: the Temporal export (workflow, activities, claim-check staging, audit rows) versus a
 * plain in-process loop (fetch, follow next, upsert through the same sink) on the same simulator and dataset,
 * at 0 ms and 50 ms simulated latency. Prints records/s of each and their ratio; figures from one run.
 *
 *   npm run bench            (finds or installs a `temporal` CLI as the demo does)
 */
import { rmSync } from 'node:fs';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { fetchPage } from '../src/activities/fetch-page';
import { persistPage } from '../src/activities/persist-page';
import { startLocalTemporal } from '../src/client/dev-server';
import { startExport, waitForReport } from '../src/client/exports';
import { createExportWorker } from '../src/client/worker';
import type { PageCursor } from '../src/pagination/types';
import { SinkPool } from '../src/sinks/open-sink';
import { LmsSimulator } from '../src/simulator/server';
import { parseExportSpec } from '../src/spec/parse-spec';

const USERS = Number(process.env['BENCH_USERS'] ?? 5_000);
const TOKEN_ENV = 'BENCH_TOKEN';
const TASK_QUEUE = 'bench';

function spec(name: string, simulatorUrl: string, path: string) {
  return {
    name,
    // The request budget is politeness, not machinery: lifted so the ratio measures durability's own cost
    // (workflow, activities, the completeness checks after the traversal).
    source: { preset: 'canvas' as const, baseUrl: `${simulatorUrl}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV }, requestBudget: { requestsPerSecond: 1_000 } },
    resources: [{ name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 100 }],
    sink: { kind: 'duckdb' as const, path },
  };
}

/** The loop a script would write: same HTTP client, pagination and sink, no Temporal. */
async function plainLoop(simulatorUrl: string, path: string): Promise<number> {
  const parsed = parseExportSpec(spec('plain', simulatorUrl, path));
  const resource = parsed.resources[0]!;
  const sinks = new SinkPool();
  let cursor: PageCursor | null = null;
  let records = 0;
  try {
    for (let pageNumber = 1; ; pageNumber++) {
      const page = await fetchPage(sinks, { runId: 'plain', traversal: 'users', source: parsed.source, resource, sink: parsed.sink, pageNumber, cursor });
      await persistPage(sinks, { runId: 'plain', traversal: 'users', sink: parsed.sink, resource, ref: page.ref, pageNumber, cursorBefore: page.requested, cursorAfter: null, sha256: page.sha256 });
      records += page.recordCount;
      cursor = page.next;
      if (cursor === null) return records;
    }
  } finally {
    await sinks.close();
  }
}

async function timed(work: () => Promise<number>): Promise<{ records: number; perSecond: number }> {
  const started = performance.now();
  const records = await work();
  return { records, perSecond: records / ((performance.now() - started) / 1000) };
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { server: env } = await startLocalTemporal();
  const simulator = new LmsSimulator({ users: USERS });
  const simulatorUrl = await simulator.start();
  process.env[TOKEN_ENV] = simulator.token;
  const exportWorker = await createExportWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE });
  const running = exportWorker.run();
  const rows: string[] = [];
  try {
    for (const latencyMs of [0, 50]) {
      simulator.latencyMs = latencyMs;
      const dir = `.tmp/bench-${process.pid}-${latencyMs}`;
      rmSync(dir, { recursive: true, force: true });
      const plain = await timed(() => plainLoop(simulatorUrl, `${dir}/plain.duckdb`));
      const durable = await timed(async () => {
        const handle = await startExport(env.client, spec(`bench-${latencyMs}`, simulatorUrl, `${dir}/durable.duckdb`), { taskQueue: TASK_QUEUE, workflowId: `bench-${Date.now()}` });
        const report = await waitForReport(handle);
        return report.resources[0]?.recordsFetched ?? 0;
      });
      if (plain.records !== USERS || durable.records !== USERS) throw new Error(`incomplete: plain ${plain.records}, durable ${durable.records} of ${USERS}`);
      rows.push(
        `${String(latencyMs).padStart(4)} ms | ${plain.perSecond.toFixed(0).padStart(10)} | ${durable.perSecond.toFixed(0).padStart(12)} | ${(durable.perSecond / plain.perSecond).toFixed(2)}`,
      );
    }
  } finally {
    exportWorker.shutdown();
    await running;
    await simulator.stop();
    await env.teardown();
  }
  console.log(`${USERS} records, 100 per page, DuckDB sink, one run each`);
  console.log('latency | plain rec/s | durable rec/s | durable/plain');
  for (const row of rows) console.log(row);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
