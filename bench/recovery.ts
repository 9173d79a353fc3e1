/**
 * How fast an export recovers: a Canvas users export (100 per page) into PostgreSQL at 20 ms simulated latency,
 * (a) clean, (b) with 10% mixed faults (hung requests included, so the latency-derived timeouts decide), (c) with
 * its worker process SIGKILLed at random pages and restarted at once; and a plain retry loop (fixed 5 s timeouts,
 * a fixed second between retries) against the same faults. Prints time, requests, pages, exactness and re-fetched
 * pages per kill, and the ratios against the targets (b)/(a) ≤ 2, (c)/(a) ≤ 1.5 with ≤ 1 re-fetched page per
 * kill; figures from one run, nothing asserted.
 *
 *   npm run bench:recovery                       (20,000 records, 10 kills; finds a `temporal` CLI as the demo does)
 *   BENCH_RECORDS=5000 BENCH_KILLS=5 npm run bench:recovery      (a quick run)
 *   BENCH_SHORT_HEARTBEAT=0 npm run bench:recovery               (without the extra kill run at a 2 s heartbeat timeout)
 */
import { isDeepStrictEqual } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { startLocalTemporal } from '../src/dev/dev-server';
import { startExport, waitForReport } from '../src/client/exports';
import { cachedWorkflowBundle } from '../src/worker/workflow-bundle';
import { seededRandom } from '../src/simulator/dataset';
import type { FaultOptions } from '../src/simulator/faults';
import { LmsSimulator } from '../src/simulator/server';
import type { ExportSpecInput } from '../src/spec/export-spec';
import type { Waits } from '../src/workflows/waits';
import { PLAIN_RETRY_DELAY_MS, PLAIN_TIMEOUT_MS, plainRetryLoop } from './plain-retry-loop';
import { targetRatio, writeBenchResult } from './bench-result';
import { formatCounts, historyFindings, type HistoryFindings } from './recovery-history';
import { RequestLog } from './request-log';
import { WorkerProcess } from './worker-process';
import { adminQuery, databaseUrl } from './admin-query';
import { runBench } from './run-bench';

const RECORDS = Number(process.env['BENCH_RECORDS'] ?? 20_000);
const KILLS = Number(process.env['BENCH_KILLS'] ?? 10);
const SHORT_HEARTBEAT_SECONDS = process.env['BENCH_SHORT_HEARTBEAT'] === '0' ? undefined : Number(process.env['BENCH_SHORT_HEARTBEAT'] ?? 2);
/** BENCH_ONLY=clean,kills runs only the scenarios named (all by default). */
const ONLY = process.env['BENCH_ONLY']?.split(',');
const PAGE_SIZE = 100;
const LATENCY_MS = 20;
const FAULTS: FaultOptions = { rate: 0.1, kinds: ['500', '502', '503', 'reset', 'hang', 'truncated', 'html'] };
const USERS_PATH = '/api/v1/accounts/1/users';
const TOKEN_ENV = 'BENCH_TOKEN';

interface Scenario {
  name: string;
  faults?: FaultOptions;
  kills?: number;
  heartbeatTimeoutSeconds?: number;
  plain?: boolean;
}

interface Kill {
  page: number;
  at: number;
  /** Until the killed page's request reached the simulator again, and until the next page's first request. */
  stallMs?: number;
  nextPageMs?: number;
  /** Requests for pages already requested, from the kill until the next page. */
  refetched: number;
  /** The replacement worker: spawn to polling the source's request queue. */
  workerStartMs?: number;
}

interface Outcome {
  scenario: Scenario;
  seconds: number;
  requests: number;
  pages: number;
  exact: string;
  repeatedUrls: number;
  extraRequests: number;
  injected: string;
  waits?: Waits;
  plainRetries?: number;
  kills: Kill[];
  history?: HistoryFindings;
}

function spec(name: string, simulatorUrl: string, dbUrl: string, schema: string, scenario: Scenario): ExportSpecInput {
  return {
    name,
    // The request budget is politeness, not recovery: lifted as in bench/overhead.ts, so only faults and kills differ.
    source: { preset: 'canvas', baseUrl: `${simulatorUrl}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV }, requestBudget: { requestsPerSecond: 1_000 } },
    resources: [{ name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: PAGE_SIZE }],
    sink: { kind: 'postgres', url: dbUrl, schema },
    ...(scenario.heartbeatTimeoutSeconds === undefined ? {} : { execution: { heartbeatTimeoutSeconds: scenario.heartbeatTimeoutSeconds } }),
  };
}

/** Whether the table holds exactly the simulator's rows, or what differs. */
async function exactness(dbUrl: string, schema: string, simulator: LmsSimulator): Promise<string> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const rows = (await client.query<{ id: string; _record: unknown }>(`SELECT id, _record FROM "${schema}".users ORDER BY id::int`)).rows;
    const truth = simulator.truth(USERS_PATH);
    if (isDeepStrictEqual(rows.map((r) => r._record), truth)) return 'yes';
    return `NO (${rows.length} stored, ${new Set(rows.map((r) => r.id)).size} distinct, ${truth.length} at the source)`;
  } finally {
    await client.end();
  }
}

/** `count` distinct page numbers in 2..pages-1 (a kill before the first page or after the last tests nothing), ascending. */
function killPages(count: number, pages: number): number[] {
  const random = seededRandom(11);
  const chosen = new Set<number>();
  while (chosen.size < Math.min(count, Math.max(0, pages - 2))) chosen.add(2 + Math.floor(random() * (pages - 2)));
  return [...chosen].sort((a, b) => a - b);
}

async function run(env: TestWorkflowEnvironment, dbUrl: string, scenario: Scenario): Promise<Outcome> {
  const simulator = new LmsSimulator({ users: RECORDS, latencyMs: LATENCY_MS, ...(scenario.faults ? { faults: scenario.faults } : {}) });
  await simulator.start();
  const log = RequestLog.of(simulator.url);
  const name = `recovery-${scenario.name}`;
  const schema = name.replace(/-/g, '_');
  const input = spec(name, simulator.url, dbUrl, schema, scenario);
  // Workers log each failed attempt as a warning; (b) fails on purpose, and the report counts them all.
  const workerEnv = { TEMPORAL_ADDRESS: env.address, LMS_EXPORT_TASK_QUEUE: `bench-${name}`, LMS_EXPORT_LOG_LEVEL: 'error', [TOKEN_ENV]: simulator.token };
  process.env[TOKEN_ENV] = simulator.token;
  const workers: WorkerProcess[] = [];
  const kills: Kill[] = [];
  try {
    if (!scenario.plain) {
      workers.push(new WorkerProcess(workerEnv));
      await workers[0]?.polling();
    }
    // Each page's first request is its page number; the kill lands as it arrives, with the fetch in flight.
    const targets = killPages(scenario.kills ?? 0, Math.ceil(RECORDS / PAGE_SIZE));
    const firstSeen = new Map<string, number>();
    log.onRequest(({ url, at }) => {
      const page = firstSeen.get(url);
      const ongoing = kills[kills.length - 1];
      if (page !== undefined) {
        if (ongoing !== undefined && ongoing.nextPageMs === undefined) {
          ongoing.refetched += 1;
          ongoing.stallMs ??= at - ongoing.at;
        }
        return;
      }
      if (!url.startsWith(USERS_PATH)) return;
      firstSeen.set(url, firstSeen.size + 1);
      if (ongoing !== undefined && ongoing.nextPageMs === undefined) ongoing.nextPageMs = at - ongoing.at;
      if (firstSeen.size !== targets[kills.length]) return;
      workers[workers.length - 1]?.kill('SIGKILL');
      kills.push({ page: firstSeen.size, at, refetched: 0 });
      workers.push(new WorkerProcess(workerEnv));
    });

    const started = performance.now();
    let pages: number;
    let waits: Waits | undefined;
    let plainRetries: number | undefined;
    let history: HistoryFindings | undefined;
    if (scenario.plain) {
      const outcome = await plainRetryLoop(input);
      pages = outcome.pages;
      plainRetries = outcome.retries;
    } else {
      const handle = await startExport(env.client, input, { taskQueue: workerEnv.LMS_EXPORT_TASK_QUEUE, workflowId: `bench-${name}-${Date.now()}` });
      const report = await waitForReport(handle);
      const users = report.resources[0];
      if (report.status !== 'completed') console.error(`${scenario.name}: run ${report.status}: ${users?.error ?? ''}`);
      pages = users?.pages ?? 0;
      waits = users?.waits;
      history = await historyFindings(env.client, `${handle.workflowId}-users`);
    }
    const seconds = (performance.now() - started) / 1000;
    workers.slice(1).forEach((worker, i) => {
      const kill = kills[i];
      if (kill !== undefined && worker.requestQueueAt !== undefined) kill.workerStartMs = worker.requestQueueAt - worker.spawnedAt;
    });
    const injected = Object.entries(simulator.faults?.injected ?? {}).map(([kind, n]) => `${kind} ${n}`).join(', ');
    return {
      scenario,
      seconds,
      requests: simulator.stats.pageRequests,
      pages,
      exact: await exactness(dbUrl, schema, simulator),
      repeatedUrls: log.repeats().urls,
      extraRequests: log.repeats().extraRequests,
      injected: injected || 'none',
      waits,
      plainRetries,
      kills,
      history,
    };
  } finally {
    for (const worker of workers) worker.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.exited()));
    log.close();
    await simulator.stop();
  }
}

const mean = (values: number[]): number => (values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length);
const seconds = (ms: number | undefined): string => (ms === undefined ? '?' : (ms / 1000).toFixed(1));

function describeWaits(waits: Waits): string {
  return `retries ${formatCounts(waits.retries)}; backoff ${seconds(waits.backoffMs ?? 0)} s, in failed requests ${seconds(waits.failedRequestMs ?? 0)} s, server-directed ${seconds(waits.serverWaitMs ?? 0)} s`;
}

const label = (s: Scenario): string =>
  s.plain ? `plain loop${s.faults ? ' (b) faults' : ' (a) clean'}` : s.kills ? `ours (c) ${s.kills} kills${s.heartbeatTimeoutSeconds ? `, heartbeat ${s.heartbeatTimeoutSeconds} s` : ''}` : s.faults ? 'ours (b) 10% faults' : 'ours (a) clean';

/** The outcomes the ratios compare, by their part in them. */
function roles(outcomes: Outcome[]) {
  const find = (test: (s: Scenario) => boolean): Outcome | undefined => outcomes.find((o) => test(o.scenario));
  return {
    clean: find((s) => !s.plain && !s.faults && !s.kills),
    faulted: find((s) => !s.plain && s.faults !== undefined),
    killed: find((s) => !s.plain && s.kills !== undefined && s.heartbeatTimeoutSeconds === undefined),
    killedShort: find((s) => !s.plain && s.kills !== undefined && s.heartbeatTimeoutSeconds !== undefined),
    plainFaulted: find((s) => s.plain === true && s.faults !== undefined),
    plainClean: find((s) => s.plain === true && s.faults === undefined),
  };
}

function print(outcomes: Outcome[]): void {
  console.log(`\n${RECORDS} Canvas users, ${PAGE_SIZE} per page, ${LATENCY_MS} ms latency, PostgreSQL sink, worker as its own process; one run each`);
  console.log(`faults (b): rate ${FAULTS.rate}, kinds ${FAULTS.kinds?.join(' ')}; plain loop: ${PLAIN_TIMEOUT_MS / 1000} s timeouts, retry after ${PLAIN_RETRY_DELAY_MS / 1000} s\n`);
  console.log('scenario                          | seconds | requests | pages | exact | URLs requested > once (extra requests)');
  for (const o of outcomes) {
    console.log(`${label(o.scenario).padEnd(33)} | ${o.seconds.toFixed(1).padStart(7)} | ${String(o.requests).padStart(8)} | ${String(o.pages).padStart(5)} | ${o.exact.padEnd(5)} | ${o.repeatedUrls} (${o.extraRequests})`);
  }
  console.log('');
  const { clean, faulted, killed, killedShort, plainFaulted, plainClean } = roles(outcomes);
  for (const o of outcomes) {
    const details = [`faults injected: ${o.injected}`];
    if (o.waits) details.push(`report waits: ${describeWaits(o.waits)}`);
    if (o.plainRetries !== undefined) details.push(`retries: ${o.plainRetries}`);
    if (o.history) details.push(`history: retried ${formatCounts(o.history.retriedAttempts)}; workflow task timeouts ${formatCounts(o.history.workflowTaskTimeouts)}`);
    if (o.kills.length > 0) {
      const k = o.kills;
      details.push(`kills at pages ${k.map((x) => x.page).join(' ')}`);
      details.push(`kill → killed page requested again: ${k.map((x) => seconds(x.stallMs)).join(' ')} s (mean ${seconds(mean(k.map((x) => x.stallMs ?? NaN)))})`);
      details.push(`kill → next page requested:        ${k.map((x) => seconds(x.nextPageMs)).join(' ')} s (mean ${seconds(mean(k.map((x) => x.nextPageMs ?? NaN)))})`);
      details.push(`replacement worker start (spawn → polling the request queue): mean ${seconds(mean(k.map((x) => x.workerStartMs ?? NaN)))} s`);
      // The clean run's repeats are the completeness spot checks (first, middle, last page), which every run makes.
      const baseline = clean?.extraRequests ?? 0;
      details.push(`re-fetched pages per kill: ${(k.reduce((n, x) => n + x.refetched, 0) / k.length).toFixed(2)} (requests for known pages between a kill and the next page); ${((o.extraRequests - baseline) / k.length).toFixed(2)} (repeated requests less the clean run's ${baseline} spot checks)`);
      if (clean) details.push(`time lost per kill: ${((o.seconds - clean.seconds) / k.length).toFixed(1)} s ((c) − (a), over ${k.length} kills)`);
    }
    console.log(`${label(o.scenario)}:\n  ${details.join('\n  ')}`);
  }
  const ratio = (a: Outcome | undefined, b: Outcome | undefined): string => (a && b ? (a.seconds / b.seconds).toFixed(2) : '?');
  const perKill = (o: Outcome | undefined): string => (o && o.kills.length > 0 ? (o.kills.reduce((n, x) => n + x.refetched, 0) / o.kills.length).toFixed(2) : '?');
  console.log('\nratios (wall time)');
  console.log(`  (b)/(a) faults / clean:           ${ratio(faulted, clean)}   target ≤ 2`);
  console.log(`  (c)/(a) kills / clean:            ${ratio(killed, clean)}   target ≤ 1.5, re-fetched pages per kill ${perKill(killed)} (target ≤ 1)`);
  if (killedShort) console.log(`  (c)/(a) at heartbeat ${killedShort.scenario.heartbeatTimeoutSeconds} s:        ${ratio(killedShort, clean)}   re-fetched pages per kill ${perKill(killedShort)}`);
  console.log(`  plain loop (b) / ours (b):        ${ratio(plainFaulted, faulted)}   (> 1: ours recovers faster)`);
  console.log(`  plain loop (b)/(a):               ${ratio(plainFaulted, plainClean)}`);
  console.log(`  ours (a) / plain loop (a):        ${ratio(clean, plainClean)}   (durability's own cost, clean)`);
}

function writeResult(outcomes: Outcome[]): void {
  const { clean, faulted, killed, killedShort, plainFaulted, plainClean } = roles(outcomes);
  const over = (a: Outcome | undefined, b: Outcome | undefined): number | null => (a && b ? a.seconds / b.seconds : null);
  const perKill = (o: Outcome | undefined): number | null => (o && o.kills.length > 0 ? o.kills.reduce((n, x) => n + x.refetched, 0) / o.kills.length : null);
  writeBenchResult({
    bench: 'recovery',
    command: 'npm run bench:recovery',
    setup: `${RECORDS} Canvas users, ${PAGE_SIZE} per page, ${LATENCY_MS} ms latency, PostgreSQL sink, worker as its own process; faults (b): rate ${FAULTS.rate}, kinds ${FAULTS.kinds?.join(' ')}; plain loop: ${PLAIN_TIMEOUT_MS / 1000} s timeouts, retry after ${PLAIN_RETRY_DELAY_MS / 1000} s; one run each`,
    settings: { BENCH_RECORDS: RECORDS, BENCH_KILLS: KILLS, BENCH_SHORT_HEARTBEAT: SHORT_HEARTBEAT_SECONDS ?? null, BENCH_ONLY: ONLY?.join(',') ?? null },
    scenarios: {
      columns: [
        { key: 'scenario', label: 'scenario' },
        { key: 'approach', label: 'approach' },
        { key: 'seconds', label: 'seconds', digits: 1 },
        { key: 'requests', label: 'requests' },
        { key: 'pages', label: 'pages' },
        { key: 'exact', label: 'exact' },
        { key: 'extraRequests', label: 'repeated requests' },
        { key: 'refetchedPerKill', label: 're-fetched pages per kill', digits: 2 },
        { key: 'lostPerKill', label: 'seconds lost per kill', digits: 1 },
      ],
      rows: outcomes.map((o) => ({
        scenario: label(o.scenario),
        approach: o.scenario.plain ? 'plain loop' : 'ours',
        seconds: o.seconds,
        requests: o.requests,
        pages: o.pages,
        exact: o.exact,
        extraRequests: o.extraRequests,
        refetchedPerKill: perKill(o),
        lostPerKill: o.kills.length > 0 && clean ? (o.seconds - clean.seconds) / o.kills.length : null,
      })),
    },
    ratios: [
      targetRatio('(b)/(a) faults / clean', over(faulted, clean), { op: '≤', value: 2 }),
      targetRatio('(c)/(a) kills / clean', over(killed, clean), { op: '≤', value: 1.5 }),
      targetRatio('re-fetched pages per kill (c)', perKill(killed), { op: '≤', value: 1 }),
      ...(killedShort ? [targetRatio(`(c)/(a) at heartbeat ${killedShort.scenario.heartbeatTimeoutSeconds} s`, over(killedShort, clean)), targetRatio(`re-fetched pages per kill at heartbeat ${killedShort.scenario.heartbeatTimeoutSeconds} s`, perKill(killedShort))] : []),
      targetRatio('plain loop (b) / ours (b) (> 1: ours recovers faster)', over(plainFaulted, faulted)),
      targetRatio('plain loop (b)/(a)', over(plainFaulted, plainClean)),
      targetRatio('ours (a) / plain loop (a) (durability\'s own cost, clean)', over(clean, plainClean)),
    ],
    details: [],
    chart: { title: `Recovery: ${RECORDS} records, ${LATENCY_MS} ms latency, PostgreSQL`, panels: [{ title: 'wall time by scenario', unit: 'seconds', x: 'scenario', y: ['seconds'], color: 'approach' }] },
  });
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // Built (or found) once here, so no worker of the bench, started or restarted, runs webpack.
  await cachedWorkflowBundle();
  const database = `lms_export_bench_${process.pid}_${Date.now().toString(36)}`;
  await adminQuery(`CREATE DATABASE ${database}`);
  const dbUrl = databaseUrl(database);
  const { server: env } = await startLocalTemporal();
  const scenarios: Scenario[] = [
    { name: 'clean' },
    { name: 'faults', faults: FAULTS },
    { name: 'kills', kills: KILLS },
    ...(SHORT_HEARTBEAT_SECONDS === undefined ? [] : [{ name: 'kills-short-heartbeat', kills: KILLS, heartbeatTimeoutSeconds: SHORT_HEARTBEAT_SECONDS }]),
    { name: 'plain-clean', plain: true },
    { name: 'plain-faults', faults: FAULTS, plain: true },
  ];
  const outcomes: Outcome[] = [];
  try {
    for (const scenario of scenarios.filter((s) => ONLY === undefined || ONLY.includes(s.name))) {
      const outcome = await run(env, dbUrl, scenario);
      console.log(`${scenario.name}: ${outcome.seconds.toFixed(1)} s, ${outcome.requests} requests, exact ${outcome.exact}`);
      outcomes.push(outcome);
    }
    print(outcomes);
    writeResult(outcomes);
  } finally {
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await env.teardown();
  }
}

runBench(main, { exitWhenDone: true });
