/**
 * How close the paced export gets to the fastest a Canvas bucket allows: a fixed dataset against the simulated
 * bucket, timed, versus the theoretical minimum (the headroom spent at once, the rest at the sustainable rate).
 * Prints the ratio and the throttled answers; figures from one run.
 *
 *   npm run bench:throttle        (finds or installs a `temporal` CLI as the demo does)
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startLocalTemporal } from '../src/dev/dev-server';
import { startExport, waitForReport } from '../src/client/exports';
import { createExportWorker } from '../src/worker/worker';
import { LmsSimulator } from '../src/simulator/server';
import { targetRatio, writeBenchResult } from './bench-result';
import { runBench } from './run-bench';

const TOKEN_ENV = 'BENCH_TOKEN';
const TASK_QUEUE = 'bench-throttle';
// Canvas's shape; the leak is 10× Canvas's so a run takes seconds, not minutes.
const BUCKET = { highWater: 700, upfront: 50, leakPerSecond: 100, cost: 5 };
const ROWS_PER_RESOURCE = 5_000;
const RESOURCES = 4;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { server: env } = await startLocalTemporal();
  const simulator = new LmsSimulator({ users: ROWS_PER_RESOURCE, courses: RESOURCES - 1, enrollmentsPerCourse: ROWS_PER_RESOURCE, latencyMs: 30, canvasBucket: BUCKET });
  await simulator.start();
  process.env[TOKEN_ENV] = simulator.token;
  const worker = await createExportWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE });
  const running = worker.run();
  try {
    const started = performance.now();
    const handle = await startExport(
      env.client,
      {
        name: 'bench-throttle',
        source: { preset: 'canvas', baseUrl: `${simulator.url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV }, rateLimit: { leakPerSecond: BUCKET.leakPerSecond } },
        resources: [
          { name: 'users', path: '/accounts/1/users', primaryKey: ['id'] },
          ...Array.from({ length: RESOURCES - 1 }, (_, i) => ({ name: `enrollments_${i + 1}`, path: `/courses/${i + 1}/enrollments`, primaryKey: ['id'] })),
        ],
        sink: { kind: 'duckdb', path: `.tmp/bench-throttle-${process.pid}.duckdb` },
        execution: { maxParallelResources: RESOURCES },
      },
      { taskQueue: TASK_QUEUE, workflowId: `bench-throttle-${Date.now()}` },
    );
    const report = await waitForReport(handle);
    const seconds = (performance.now() - started) / 1000;
    const requests = simulator.stats.pageRequests;
    // Fastest possible: the headroom (high water less one reservation) pays for some requests at once; every
    // other request's cost must leak away first.
    const freeRequests = Math.floor((BUCKET.highWater - BUCKET.upfront) / BUCKET.cost);
    const minimum = Math.max(0, requests - freeRequests) * (BUCKET.cost / BUCKET.leakPerSecond);
    console.log(`${report.resources.reduce((n, r) => n + r.recordsFetched, 0)} rows, ${requests} requests, ${RESOURCES} resources in parallel`);
    console.log(`bucket: high water ${BUCKET.highWater}, ${BUCKET.upfront} up front, leak ${BUCKET.leakPerSecond}/s, cost ${BUCKET.cost}/request`);
    console.log(`took ${seconds.toFixed(1)} s; theoretical minimum ${minimum.toFixed(1)} s; ratio ${(seconds / minimum).toFixed(2)}; throttled answers ${simulator.stats.throttled.length}`);
    const rows = report.resources.reduce((n, r) => n + r.recordsFetched, 0);
    writeBenchResult({
      bench: 'throttle',
      command: 'npm run bench:throttle',
      setup: `${RESOURCES} Canvas resources of ${ROWS_PER_RESOURCE} rows in parallel, 30 ms latency; simulated bucket: high water ${BUCKET.highWater}, ${BUCKET.upfront} up front, leak ${BUCKET.leakPerSecond}/s, cost ${BUCKET.cost}/request`,
      settings: { ...BUCKET, rowsPerResource: ROWS_PER_RESOURCE, resources: RESOURCES, latencyMs: 30 },
      scenarios: {
        columns: [
          { key: 'scenario', label: 'scenario' },
          { key: 'rows', label: 'rows' },
          { key: 'requests', label: 'requests' },
          { key: 'seconds', label: 'took (s)', digits: 1 },
          { key: 'minimumSeconds', label: 'theoretical minimum (s)', digits: 1 },
          { key: 'ratio', label: 'seconds / minimum', digits: 2 },
          { key: 'throttled', label: 'throttled answers' },
        ],
        rows: [{ scenario: 'paced export', rows, requests, seconds, minimumSeconds: minimum, ratio: seconds / minimum, throttled: simulator.stats.throttled.length }],
      },
      ratios: [targetRatio('seconds / theoretical minimum', seconds / minimum), targetRatio('throttled answers', simulator.stats.throttled.length, { op: '≤', value: 0 })],
      details: [],
      chart: { title: `Paced export against the Canvas bucket: ${rows} rows, ${requests} requests`, panels: [{ title: 'wall time', unit: 'seconds', x: 'scenario', y: ['seconds', 'minimumSeconds'] }] },
    });
  } finally {
    worker.shutdown();
    await running;
    await simulator.stop();
    await env.teardown();
  }
}

runBench(main);
