/**
 * How long `lms-export status` takes an operator, as a process of its own (the way it is run), against a running
 * export of several resources with a fan-out — compared with `temporal workflow describe` of the same run, the
 * least an operator's look at a run can cost. Prints each command's median of several calls and the ratio; figures
 * from one run, nothing asserted.
 *
 *   npx tsx bench/status.ts        (BENCH_CALLS=7; finds or installs a `temporal` CLI as the demo does)
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { findTemporalCli, startLocalTemporal } from '../src/dev/dev-server';
import { startExport } from '../src/client/exports';
import { createExportWorker } from '../src/worker/worker';
import { LmsSimulator } from '../src/simulator/server';
import { runProgressQuery } from '../src/workflows/definitions';
import { runBench } from './run-bench';

const CALLS = Number(process.env['BENCH_CALLS'] ?? 7);
const TOKEN_ENV = 'BENCH_TOKEN';
const TASK_QUEUE = 'bench-status';
const LMS_EXPORT = join(__dirname, '..', 'bin', 'lms-export.js');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Wall milliseconds of each of `CALLS` runs of a command, after one unmeasured call (disk caches warm). */
async function timed(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number[]> {
  const run = () => promisify(execFile)(file, args, { env });
  await run();
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { server: env } = await startLocalTemporal();
  // Slow enough that the export is still running while the commands are timed.
  const simulator = new LmsSimulator({ users: 20_000, courses: 40, latencyMs: 200 });
  const url = await simulator.start();
  process.env[TOKEN_ENV] = simulator.token;
  const worker = await createExportWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE });
  const running = worker.run();
  try {
    const spec = {
      name: 'status-bench',
      source: { preset: 'canvas' as const, baseUrl: `${url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV } },
      resources: [
        { name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 50 },
        { name: 'courses', path: '/courses', primaryKey: ['id'], pageSize: 10 },
        { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], pageSize: 10, parent: { resource: 'courses', as: 'course_id' } },
      ],
      sink: { kind: 'duckdb' as const, path: `.tmp/bench-status-${process.pid}.duckdb` },
      execution: { maxParallelResources: 3 },
    };
    const handle = await startExport(env.client, spec, { taskQueue: TASK_QUEUE });
    // Timed once the fan-out is under way: status then summarises a run, its traversals and a fan-out.
    for (const deadline = Date.now() + 120_000; ; ) {
      const progress = await handle.query(runProgressQuery);
      if (progress.resources.every((r) => r.status !== 'pending')) break;
      if (Date.now() > deadline) throw new Error('the export did not get under way in 2 minutes');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const cliEnv = { ...process.env, TEMPORAL_ADDRESS: env.address, LMS_EXPORT_TASK_QUEUE: TASK_QUEUE };
    const ours = await timed(process.execPath, [LMS_EXPORT, 'status', handle.workflowId], cliEnv);
    const temporalCli = findTemporalCli();
    const theirs = temporalCli === undefined ? [] : await timed(temporalCli, ['workflow', 'describe', '--address', env.address, '--workflow-id', handle.workflowId], cliEnv);
    const stillRunning = (await handle.describe()).status.name === 'RUNNING';
    console.log(`\nstatus of a running export (3 resources, one a fan-out over 40 courses); ${CALLS} calls each, after one warm-up`);
    console.log(`  lms-export status            median ${median(ours).toFixed(0)} ms  (${ours.map((t) => t.toFixed(0)).join(' ')})`);
    if (theirs.length > 0) console.log(`  temporal workflow describe   median ${median(theirs).toFixed(0)} ms  (${theirs.map((t) => t.toFixed(0)).join(' ')})`);
    if (theirs.length > 0) console.log(`  ratio ours / temporal describe: ${(median(ours) / median(theirs)).toFixed(2)}`);
    console.log(`  the export was ${stillRunning ? 'still running' : 'done'} at the end (${stillRunning ? 'measured on a live run' : 'the figures include finished runs'})`);
    await handle.terminate('bench over').catch(() => undefined);
  } finally {
    worker.shutdown();
    await running.catch(() => undefined);
    await simulator.stop();
    await env.teardown();
  }
}

runBench(main, { exitWhenDone: true });
