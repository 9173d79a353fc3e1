/**
 * Scale: Ed-Fi students read as 4 partitions in parallel at 0 ms latency into PostgreSQL, at 100,000 and then
 * 1,000,000 rows (BENCH_SCALE_ROWS=100000,1000000). Prints for each: records/s, the worker's peak resident memory
 * (its own process, as deployed), history events per workflow run (continue-as-new keeps each run's history short)
 * and the table's size in PostgreSQL; then the peak-memory ratio of the largest to the smallest export, which flat
 * memory keeps near 1, and the worker's resident memory at each quarter of the rows (a plateau, or a line). One run each.
 *
 *   npm run bench:scale
 *   BENCH_SCALE_ROWS=20000,100000 npm run bench:scale      (a quicker look)
 *   BENCH_WORKER_NODE_OPTIONS=--max-old-space-size=256 npm run bench:scale   (node options for the worker only)
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startLocalTemporal } from '../src/dev/dev-server';
import { startExport, waitForReport } from '../src/client/exports';
import { cachedWorkflowBundle } from '../src/worker/workflow-bundle';
import { LmsSimulator } from '../src/simulator/server';
import type { ExportSpecInput } from '../src/spec/export-spec';
import { targetRatio, writeBenchResult } from './bench-result';
import { WorkerProcess } from './worker-process';
import { runBench } from './run-bench';

const ROW_COUNTS = (process.env['BENCH_SCALE_ROWS'] ?? '100000,1000000').split(',').map(Number);
const ADMIN_URL = process.env['BENCH_PG'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PARTITIONS = 4;
const PAGE_SIZE = 500;
const TOKEN_ENV = 'BENCH_TOKEN';
const SCHEMA = 'edfi';
/** Node options for the worker only (`--max-old-space-size=256`, `--heapsnapshot-signal=SIGUSR2`), not this process. */
const WORKER_NODE_OPTIONS = process.env['BENCH_WORKER_NODE_OPTIONS'];

interface Outcome {
  rows: number;
  seconds: number;
  status: string;
  stored: number;
  peakRssMb: number;
  runs: number;
  maxEventsPerRun: number;
  totalEvents: number;
  tableMb: number;
  /** Resident memory when the table first held 25, 50, 75 and 100% of the rows (MB). */
  rssAtQuarters: number[];
}

/** How often the worker's resident memory and the table's row count are sampled during an export. */
const SAMPLE_EVERY_MS = 2_000;
const QUARTERS = [0.25, 0.5, 0.75, 1];

async function withPg<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** A memory figure of a process from /proc (MB): VmHWM is the peak resident set so far, VmRSS the current one. */
function memoryMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return Number(line?.replace(/\D+/g, '') ?? NaN) / 1024;
}

/**
 * Samples the worker's resident memory against the rows stored so far, and keeps the first sample at or past each
 * quarter of the rows: a plateau means memory does not grow with the export, a line means something holds per row.
 */
class RssByProgress {
  private readonly rssAt: (number | undefined)[] = QUARTERS.map(() => undefined);
  private readonly timer: NodeJS.Timeout;
  private sampling: Promise<void> = Promise.resolve();

  constructor(
    private readonly pid: number,
    private readonly rows: number,
    private readonly client: pg.Client,
  ) {
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sample());
    }, SAMPLE_EVERY_MS);
  }

  private async sample(): Promise<void> {
    const rss = memoryMb(this.pid, 'VmRSS');
    const stored = await this.client.query<{ n: string }>(`SELECT count(*) AS n FROM "${SCHEMA}".students`).then(
      (result) => Number(result.rows[0]?.n),
      () => 0, // the table is created with the first page
    );
    QUARTERS.forEach((quarter, i) => {
      if (this.rssAt[i] === undefined && stored >= quarter * this.rows) this.rssAt[i] = rss;
    });
  }

  /** Stops sampling; a quarter reached after the last sample gets the memory at the end. */
  async stop(): Promise<number[]> {
    clearInterval(this.timer);
    await this.sampling;
    const end = memoryMb(this.pid, 'VmRSS');
    return this.rssAt.map((rss) => rss ?? end);
  }
}

async function run(env: TestWorkflowEnvironment, rows: number): Promise<Outcome> {
  const database = `lms_export_scale_${rows}_${process.pid}`;
  await withPg(ADMIN_URL, (admin) => admin.query(`DROP DATABASE IF EXISTS ${database}`).then(() => admin.query(`CREATE DATABASE ${database}`)));
  const dbUrl = Object.assign(new URL(ADMIN_URL), { pathname: `/${database}` }).toString();
  const simulator = new LmsSimulator({ users: rows, latencyMs: 0 });
  await simulator.start();
  const taskQueue = `scale-${rows}`;
  const worker = new WorkerProcess({ TEMPORAL_ADDRESS: env.address, LMS_EXPORT_TASK_QUEUE: taskQueue, LMS_EXPORT_LOG_LEVEL: 'error', [TOKEN_ENV]: simulator.token, ...(WORKER_NODE_OPTIONS ? { NODE_OPTIONS: WORKER_NODE_OPTIONS } : {}) });
  try {
    await worker.polling();
    const spec: ExportSpecInput = {
      name: `scale-${rows}`,
      source: { preset: 'edfi', baseUrl: `${simulator.url}/data/v3`, auth: { bearerTokenEnv: TOKEN_ENV }, requestBudget: { requestsPerSecond: 1_000 } },
      resources: [{ name: 'students', path: '/ed-fi/students', primaryKey: ['id'], pageSize: PAGE_SIZE, partitions: { count: PARTITIONS, maxParallel: PARTITIONS } }],
      sink: { kind: 'postgres', url: dbUrl, schema: SCHEMA },
    };
    const workflowId = `scale-${rows}-${Date.now()}`;
    const pid = worker.child.pid as number;
    const progressClient = new pg.Client({ connectionString: dbUrl });
    await progressClient.connect();
    const started = performance.now();
    const rssByProgress = new RssByProgress(pid, rows, progressClient);
    let rssAtQuarters: number[];
    let report: Awaited<ReturnType<typeof waitForReport>>;
    try {
      const handle = await startExport(env.client, spec, { taskQueue, workflowId });
      report = await waitForReport(handle);
    } finally {
      rssAtQuarters = await rssByProgress.stop();
      await progressClient.end();
    }
    const seconds = (performance.now() - started) / 1000;
    const peak = memoryMb(pid, 'VmHWM');
    const events: number[] = [];
    for await (const execution of env.client.workflow.list({ query: `WorkflowId STARTS_WITH '${workflowId}'` })) events.push(execution.historyLength);
    const [stored, tableMb] = await withPg(dbUrl, async (client) => {
      const count = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${SCHEMA}".students`);
      const size = await client.query<{ bytes: string }>(`SELECT pg_total_relation_size('"${SCHEMA}".students') AS bytes`);
      return [Number(count.rows[0]?.n), Number(size.rows[0]?.bytes) / 1024 / 1024];
    });
    return {
      rows,
      seconds,
      status: report.status,
      stored,
      peakRssMb: peak,
      runs: events.length,
      maxEventsPerRun: Math.max(...events),
      totalEvents: events.reduce((a, b) => a + b, 0),
      tableMb,
      rssAtQuarters,
    };
  } finally {
    worker.kill('SIGTERM');
    await worker.exited();
    await simulator.stop();
    await withPg(ADMIN_URL, (admin) => admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  }
}

function print(outcomes: Outcome[]): void {
  console.log(`\nEd-Fi students, ${PARTITIONS} partitions in parallel, ${PAGE_SIZE} per page, 0 ms latency, PostgreSQL, worker as its own process; one run each\n`);
  console.log('rows      | status    | stored    | seconds | rec/s  | worker peak RSS | workflow runs | max events/run | all events | table size | RSS at 25/50/75/100% of rows');
  for (const o of outcomes) {
    console.log(
      `${String(o.rows).padEnd(9)} | ${o.status.padEnd(9)} | ${String(o.stored).padEnd(9)} | ${o.seconds.toFixed(1).padStart(7)} | ${String(Math.round(o.rows / o.seconds)).padStart(6)} | ${`${o.peakRssMb.toFixed(0)} MB`.padStart(15)} | ${String(o.runs).padStart(13)} | ${String(o.maxEventsPerRun).padStart(14)} | ${String(o.totalEvents).padStart(10)} | ${`${o.tableMb.toFixed(0)} MB`.padStart(10)} | ${o.rssAtQuarters.map((mb) => mb.toFixed(0)).join(' / ')} MB`,
    );
  }
  const [smallest, largest] = [outcomes[0], outcomes[outcomes.length - 1]];
  if (smallest && largest && largest !== smallest) {
    console.log(`\nworker peak RSS at ${largest.rows} / at ${smallest.rows}: ${(largest.peakRssMb / smallest.peakRssMb).toFixed(2)}   target ≤ 1.15 (memory does not grow with the rows)`);
    console.log(`rec/s at ${largest.rows}: ${Math.round(largest.rows / largest.seconds)}   target ≥ 5,000`);
  }
}

function writeResult(outcomes: Outcome[]): void {
  const [smallest, largest] = [outcomes[0], outcomes[outcomes.length - 1]];
  const compared = smallest !== undefined && largest !== undefined && largest !== smallest;
  writeBenchResult({
    bench: 'scale',
    command: 'npm run bench:scale',
    setup: `Ed-Fi students, ${PARTITIONS} partitions in parallel, ${PAGE_SIZE} per page, 0 ms latency, PostgreSQL, worker as its own process; one run each`,
    settings: { BENCH_SCALE_ROWS: ROW_COUNTS.join(','), BENCH_WORKER_NODE_OPTIONS: WORKER_NODE_OPTIONS ?? null, partitions: PARTITIONS, pageSize: PAGE_SIZE },
    scenarios: {
      columns: [
        { key: 'rows', label: 'rows' },
        { key: 'status', label: 'status' },
        { key: 'stored', label: 'stored' },
        { key: 'seconds', label: 'seconds', digits: 1 },
        { key: 'recPerSecond', label: 'rec/s' },
        { key: 'peakRssMb', label: 'worker peak RSS (MB)' },
        { key: 'runs', label: 'workflow runs' },
        { key: 'maxEventsPerRun', label: 'max events/run' },
        { key: 'totalEvents', label: 'all events' },
        { key: 'tableMb', label: 'table size (MB)' },
        { key: 'rssAtQuarters', label: 'RSS at 25/50/75/100% of rows (MB)' },
      ],
      rows: outcomes.map((o) => ({
        rows: o.rows.toLocaleString('en-US'),
        status: o.status,
        stored: o.stored,
        seconds: o.seconds,
        recPerSecond: o.rows / o.seconds,
        peakRssMb: o.peakRssMb,
        runs: o.runs,
        maxEventsPerRun: o.maxEventsPerRun,
        totalEvents: o.totalEvents,
        tableMb: o.tableMb,
        rssAtQuarters: o.rssAtQuarters.map((mb) => mb.toFixed(0)).join(' / '),
      })),
    },
    ratios: compared
      ? [
          targetRatio(`worker peak RSS at ${largest.rows} / at ${smallest.rows}`, largest.peakRssMb / smallest.peakRssMb, { op: '≤', value: 1.15 }),
          targetRatio(`rec/s at ${largest.rows}`, largest.rows / largest.seconds, { op: '≥', value: 5_000 }),
        ]
      : [],
    details: [],
    chart: {
      title: `Scale: Ed-Fi students, ${PARTITIONS} partitions, PostgreSQL`,
      panels: [
        { title: 'records per second', unit: 'rec/s', x: 'rows', y: ['recPerSecond'] },
        { title: 'worker peak resident memory', unit: 'MB', x: 'rows', y: ['peakRssMb'] },
      ],
    },
  });
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  await cachedWorkflowBundle();
  const { server: env } = await startLocalTemporal();
  const outcomes: Outcome[] = [];
  try {
    for (const rows of ROW_COUNTS) {
      const outcome = await run(env, rows);
      console.log(`${rows} rows: ${outcome.status}, ${outcome.seconds.toFixed(1)} s, peak RSS ${outcome.peakRssMb.toFixed(0)} MB, RSS at 25/50/75/100% ${outcome.rssAtQuarters.map((mb) => mb.toFixed(0)).join(' / ')} MB`);
      outcomes.push(outcome);
    }
    print(outcomes);
    writeResult(outcomes);
  } finally {
    await env.teardown();
  }
}

runBench(main, { exitWhenDone: true });
