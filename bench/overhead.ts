/**
 * What durability costs: the Temporal export (workflow, activities, claim-check staging, audit rows) versus a
 * plain in-process loop (fetch, follow next, upsert through the same sink) on the same simulator and dataset,
 * at 0 ms and 50 ms simulated latency. Prints records/s of each and their ratio, then where a page's time goes
 * in each (bench/page-timeline.ts); figures from one run.
 *
 *   npm run bench            (finds or installs a `temporal` CLI as the demo does)
 *   BENCH_USERS=20000 BENCH_SINK=postgres npm run bench     (PostgreSQL at BENCH_PG; default DuckDB; BENCH_LATENCIES=0,50)
 */
import { rmSync } from 'node:fs';
import { DefaultLogger, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { fetchPage } from '../src/activities/fetch-page';
import { persistPage } from '../src/activities/persist-page';
import { startLocalTemporal } from '../src/dev/dev-server';
import { cpuSpent, cpuTimes, type CpuTimes } from './cpu-time';
import { startExport, waitForReport } from '../src/client/exports';
import { createExportWorker } from '../src/worker/worker';
import type { PageCursor } from '../src/pagination/types';
import { SinkPool } from '../src/sinks/open-sink';
import { LmsSimulator } from '../src/simulator/server';
import { parseExportSpec } from '../src/spec/parse-spec';
import type { PersistResult } from '../src/sinks/sink';
import { allRunHistories } from '../test/helpers/history';
import { targetRatio, writeBenchResult, type Row } from './bench-result';
import { pageBreakdown, persistSteps, type Breakdown } from './page-timeline';
import { adminQuery, databaseUrl } from './admin-query';
import { runBench } from './run-bench';

const USERS = Number(process.env['BENCH_USERS'] ?? 5_000);
/** Simulated latencies to run at, e.g. `BENCH_LATENCIES=0` for one quick comparison. */
const LATENCIES = (process.env['BENCH_LATENCIES'] ?? '0,50').split(',').map(Number);
const TOKEN_ENV = 'BENCH_TOKEN';
const TASK_QUEUE = 'bench';
const SINK = process.env['BENCH_SINK'] ?? 'duckdb';
const PAGE_SIZE = 100;

/** Where each arm stores its rows: a DuckDB file, or a schema of the bench's PostgreSQL database. */
type SinkOf = (arm: string) => { kind: 'duckdb'; path: string } | { kind: 'postgres'; url: string; schema: string };

function spec(name: string, simulatorUrl: string, sink: ReturnType<SinkOf>) {
  return {
    name,
    // The request budget is politeness, not machinery: lifted so the ratio measures durability's own cost
    // (workflow, activities, the completeness checks after the traversal).
    source: { preset: 'canvas' as const, baseUrl: `${simulatorUrl}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV }, requestBudget: { requestsPerSecond: 1_000 } },
    resources: [{ name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: PAGE_SIZE }],
    sink,
  };
}

/** The loop a script would write: same HTTP client, pagination and sink, no Temporal. */
async function plainLoop(simulatorUrl: string, sink: ReturnType<SinkOf>, steps: Breakdown): Promise<number> {
  const parsed = parseExportSpec(spec('plain', simulatorUrl, sink));
  const resource = parsed.resources[0]!;
  const sinks = new SinkPool();
  let cursor: PageCursor | null = null;
  let records = 0;
  const fetched = { fetchMs: 0, stageMs: 0 };
  const persisted: PersistResult[] = [];
  const started = performance.now();
  try {
    for (let pageNumber = 1; ; pageNumber++) {
      const page = await fetchPage(sinks, { runId: 'plain', traversal: 'users', source: parsed.source, resource, sink: parsed.sink, pageNumber, cursor });
      persisted.push(await persistPage(sinks, { runId: 'plain', traversal: 'users', sink: parsed.sink, resource, ref: page.ref, pageNumber, cursorBefore: page.requested, cursorAfter: null, sha256: page.sha256 }));
      fetched.fetchMs += page.timings?.fetchMs ?? 0;
      fetched.stageMs += page.timings?.stageMs ?? 0;
      records += page.recordCount;
      cursor = page.next;
      if (cursor === null) {
        const pages = persisted.length;
        steps.push(
          ['wall time per page', (performance.now() - started) / pages],
          ['  fetch (HTTP, checks, parse)', fetched.fetchMs / pages],
          ['  staging', fetched.stageMs / pages],
          ['persist', persisted.reduce((ms, r) => ms + (r.timings?.totalMs ?? 0), 0) / pages],
          ...persistSteps(persisted),
        );
        return records;
      }
    }
  } finally {
    await sinks.close();
  }
}

async function timed(work: () => Promise<number>): Promise<{ records: number; perSecond: number; cpu: CpuTimes }> {
  const started = performance.now();
  const cpuBefore = cpuTimes();
  const records = await work();
  return { records, perSecond: records / ((performance.now() - started) / 1000), cpu: cpuSpent(cpuBefore, cpuTimes()) };
}

/** CPU time per page of an arm, by process: on 2 cores, what the durable arm spends beyond the plain loop's. */
function cpuSteps(cpu: CpuTimes): Breakdown {
  const pages = USERS / PAGE_SIZE;
  return [
    ['CPU: bench process (worker, simulator)', cpu.bench / pages],
    ['CPU: Temporal server', cpu.temporal / pages],
    ['CPU: PostgreSQL', cpu.postgres / pages],
  ];
}

function printSteps(title: string, steps: Breakdown): void {
  console.log(title);
  for (const [step, ms] of steps) console.log(`  ${step.padEnd(54)} ${ms.toFixed(1).padStart(7)}`);
}

/**
 * BENCH_WORKER_OPTIONS (JSON, e.g. `{"maxCachedWorkflows":10}`): worker options merged into every worker the
 * bench creates, to try a tuning lever without changing the worker code.
 */
function applyWorkerOptions(): string {
  const text = process.env['BENCH_WORKER_OPTIONS'];
  if (text === undefined || text === '') return 'default worker options';
  const tuning = JSON.parse(text) as Partial<WorkerOptions>;
  const create = Worker.create.bind(Worker);
  Worker.create = (options: WorkerOptions) => create({ ...options, ...tuning });
  return `worker options ${text}`;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const tuning = applyWorkerOptions();
  const database = `lms_export_bench_overhead_${process.pid}`;
  if (SINK === 'postgres') await adminQuery(`CREATE DATABASE ${database}`);
  const pgUrl = databaseUrl(database);
  const { server: env } = await startLocalTemporal();
  const simulator = new LmsSimulator({ users: USERS });
  const simulatorUrl = await simulator.start();
  process.env[TOKEN_ENV] = simulator.token;
  const exportWorker = await createExportWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE });
  const running = exportWorker.run();
  const rows: string[] = [];
  const measured: Array<{ latencyMs: number; plain: number; durable: number }> = [];
  const breakdowns: Array<{ latencyMs: number; plain: Breakdown; durable: Breakdown }> = [];
  try {
    for (const latencyMs of LATENCIES) {
      simulator.latencyMs = latencyMs;
      const dir = `.tmp/bench-${process.pid}-${latencyMs}`;
      rmSync(dir, { recursive: true, force: true });
      const sinkOf: SinkOf = (arm) => (SINK === 'postgres' ? { kind: 'postgres', url: pgUrl, schema: `${arm}_${latencyMs}` } : { kind: 'duckdb', path: `${dir}/${arm}.duckdb` });
      const plainSteps: Breakdown = [];
      const plain = await timed(() => plainLoop(simulatorUrl, sinkOf('plain'), plainSteps));
      const workflowId = `bench-${Date.now()}`;
      const durable = await timed(async () => {
        const handle = await startExport(env.client, spec(`bench-${latencyMs}`, simulatorUrl, sinkOf('durable')), { taskQueue: TASK_QUEUE, workflowId });
        const report = await waitForReport(handle);
        return report.resources[0]?.recordsFetched ?? 0;
      });
      if (plain.records !== USERS || durable.records !== USERS) throw new Error(`incomplete: plain ${plain.records}, durable ${durable.records} of ${USERS}`);
      measured.push({ latencyMs, plain: plain.perSecond, durable: durable.perSecond });
      rows.push(
        `${String(latencyMs).padStart(4)} ms | ${plain.perSecond.toFixed(0).padStart(10)} | ${durable.perSecond.toFixed(0).padStart(12)} | ${(durable.perSecond / plain.perSecond).toFixed(2)}`,
      );
      const histories = await allRunHistories(env.client, `${workflowId}-users`);
      breakdowns.push({ latencyMs, plain: [...plainSteps, ...cpuSteps(plain.cpu)], durable: [...pageBreakdown(histories.map((h) => h.history)).steps, ...cpuSteps(durable.cpu)] });
    }
  } finally {
    exportWorker.shutdown();
    await running;
    await simulator.stop();
    await env.teardown();
    if (SINK === 'postgres') await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
  console.log(`${USERS} records, ${PAGE_SIZE} per page, ${SINK === 'postgres' ? 'PostgreSQL' : 'DuckDB'} sink, ${tuning}, one run each`);
  console.log('latency | plain rec/s | durable rec/s | durable/plain');
  for (const row of rows) console.log(row);
  for (const { latencyMs, plain, durable } of breakdowns) {
    console.log(`\nper page at ${latencyMs} ms latency (ms)`);
    printSteps('plain loop', plain);
    printSteps('durable (history event times; activities\' own timings indented)', durable);
  }
  writeResult(tuning, measured, breakdowns);
}

/** The durable/plain targets by latency; other latencies have none. */
const TARGETS: Record<number, number> = { 0: 0.8, 50: 0.95 };
/** The plain loop's steps under the name of the durable step they match, so both share a row. */
const SAME_STEP: Record<string, string> = { 'wall time per page': 'wall time per page (first schedule to last persist)', persist: 'persistPage: started → completed' };

function writeResult(tuning: string, measured: Array<{ latencyMs: number; plain: number; durable: number }>, breakdowns: Array<{ latencyMs: number; plain: Breakdown; durable: Breakdown }>): void {
  const sinkName = SINK === 'postgres' ? 'PostgreSQL' : 'DuckDB';
  const steps = new Map<string, Row>();
  for (const { latencyMs, plain, durable } of breakdowns) {
    // The durable list first: it has every step, in order; the plain loop's fill in its rows.
    for (const [arm, list] of [['durable', durable], ['plain', plain]] as const) {
      for (const [name, ms] of list) {
        const step = arm === 'plain' ? (SAME_STEP[name] ?? name) : name;
        const row = steps.get(step) ?? { step };
        row[`${arm}${latencyMs}`] = ms;
        steps.set(step, row);
      }
    }
  }
  writeBenchResult({
    bench: 'overhead',
    command: 'npm run bench',
    setup: `${USERS} Canvas users, ${PAGE_SIZE} per page, ${sinkName} sink, ${tuning}; plain loop versus durable export, one run each`,
    settings: { BENCH_USERS: USERS, BENCH_LATENCIES: LATENCIES.join(','), BENCH_SINK: SINK, BENCH_WORKER_OPTIONS: process.env['BENCH_WORKER_OPTIONS'] ?? null },
    scenarios: {
      columns: [
        { key: 'latency', label: 'latency' },
        { key: 'plainPerSecond', label: 'plain loop rec/s' },
        { key: 'durablePerSecond', label: 'ours (durable) rec/s' },
        { key: 'ratio', label: 'durable / plain', digits: 2 },
      ],
      rows: measured.map((m) => ({
        latency: `${m.latencyMs} ms`,
        plainPerSecond: m.plain,
        durablePerSecond: m.durable,
        ratio: m.durable / m.plain,
      })),
    },
    ratios: measured.map((m) => targetRatio(`durable / plain at ${m.latencyMs} ms`, m.durable / m.plain, TARGETS[m.latencyMs] === undefined ? null : { op: '≥', value: TARGETS[m.latencyMs] as number })),
    details: [
      {
        title: `Where a page's time goes (ms per page; durable from the history's event times, indented steps from the activities' own timings)`,
        columns: [
          { key: 'step', label: 'step' },
          ...breakdowns.flatMap(({ latencyMs }) => [
            { key: `plain${latencyMs}`, label: `plain, ${latencyMs} ms`, digits: 1 },
            { key: `durable${latencyMs}`, label: `durable, ${latencyMs} ms`, digits: 1 },
          ]),
        ],
        rows: [...steps.values()],
      },
    ],
    chart: { title: `Per-page overhead: ${USERS} records, ${sinkName} sink`, panels: [{ title: 'records per second', unit: 'rec/s', x: 'latency', y: ['plainPerSecond', 'durablePerSecond'] }] },
  });
}

runBench(main);
