/**
 * A Canvas-style nested export — 1,000 courses, then each course's enrollments — at 100 ms latency against the
 * simulated leaky bucket: lms-export's fan-out versus the community's recipe (a plain script: fetch the course
 * list, then per-course requests with a fixed 30 in flight, 50 ms apart, retrying a throttled answer after a
 * second). Prints time, throttled answers and whether each result is exact; figures from one run.
 *
 *   npm run bench:fan-out         (finds or installs a `temporal` CLI as the demo does)
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { request } from 'undici';
import { startLocalTemporal } from '../src/client/dev-server';
import { startExport, waitForReport } from '../src/client/exports';
import { createExportWorker } from '../src/client/worker';
import { LmsSimulator } from '../src/simulator/server';

const TOKEN_ENV = 'BENCH_TOKEN';
const TASK_QUEUE = 'bench-fan-out';
const COURSES = Number(process.env['BENCH_COURSES'] ?? 1_000);
/** Child traversals in flight (`parent.maxParallel`); the spec's default unless given. */
const WINDOW = process.env['BENCH_WINDOW'] === undefined ? undefined : Number(process.env['BENCH_WINDOW']);
// Canvas's bucket shape, leaking 10× faster than Canvas so the bench takes a minute, not ten.
const BUCKET = { highWater: 700, upfront: 50, leakPerSecond: 100, cost: 5 };
const SIMULATOR = { users: 2_000, courses: COURSES, enrollmentsPerCourseMax: 60, latencyMs: 100, canvasBucket: BUCKET };

interface Outcome {
  seconds: number;
  throttled: number;
  requests: number;
  exact: boolean;
}

function nextLink(header: string | string[] | undefined): string | null {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return /<([^>]+)>;\s*rel="next"/.exec(text)?.[1] ?? null;
}

/** The recipe: GET with retry on a throttled answer (403 or 429) after a fixed second, following Link headers. */
async function fetchAll(url: string, token: string): Promise<Array<{ id: number }>> {
  const rows: Array<{ id: number }> = [];
  for (let next: string | null = url; next !== null; ) {
    const answer = await request(next, { headers: { authorization: `Bearer ${token}` } });
    if (answer.statusCode === 403 || answer.statusCode === 429) {
      await answer.body.dump();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      continue;
    }
    if (answer.statusCode === 404) {
      await answer.body.dump();
      return rows;
    }
    rows.push(...((await answer.body.json()) as Array<{ id: number }>));
    next = nextLink(answer.headers['link']);
  }
  return rows;
}

async function communityRecipe(simulator: LmsSimulator, expected: Set<number>): Promise<Outcome> {
  const started = performance.now();
  const courses = await fetchAll(`${simulator.url}/api/v1/courses?per_page=100`, simulator.token);
  const found = new Set<number>();
  let nextCourse = 0;
  const lane = async (): Promise<void> => {
    while (nextCourse < courses.length) {
      const course = courses[nextCourse++] as { id: number };
      for (const row of await fetchAll(`${simulator.url}/api/v1/courses/${course.id}/enrollments?per_page=100`, simulator.token)) found.add(row.id);
    }
  };
  const lanes: Array<Promise<void>> = [];
  for (let i = 0; i < 30; i++) {
    lanes.push(lane());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await Promise.all(lanes);
  const exact = found.size === expected.size && [...expected].every((id) => found.has(id));
  return { seconds: (performance.now() - started) / 1000, throttled: simulator.stats.throttled.length, requests: simulator.stats.pageRequests, exact };
}

async function ours(env: TestWorkflowEnvironment, simulator: LmsSimulator, expected: Set<number>): Promise<Outcome> {
  const worker = await createExportWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE });
  const running = worker.run();
  try {
    const started = performance.now();
    const sink = { kind: 'duckdb' as const, path: `.tmp/bench-fan-out-${process.pid}.duckdb` };
    const report = await waitForReport(
      await startExport(
        env.client,
        {
          name: 'bench-fan-out',
          source: { preset: 'canvas', baseUrl: `${simulator.url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV }, rateLimit: { leakPerSecond: BUCKET.leakPerSecond } },
          resources: [
            { name: 'courses', path: '/courses', primaryKey: ['id'] },
            { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id', maxParallel: WINDOW } },
          ],
          sink,
        },
        { taskQueue: TASK_QUEUE, workflowId: `bench-fan-out-${Date.now()}` },
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const stored = await (await worker.sinks.get(sink)).readRows('enrollments');
    const ids = new Set(stored.map((r) => Number(r.record['id'])));
    const exact = report.status === 'completed' && ids.size === expected.size && [...expected].every((id) => ids.has(id));
    return { seconds, throttled: simulator.stats.throttled.length, requests: simulator.stats.pageRequests, exact };
  } finally {
    worker.shutdown();
    await running;
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { server: env } = await startLocalTemporal();
  try {
    const results: Array<[string, Outcome]> = [];
    for (const [name, run] of [
      ['community recipe (30 at once, 50 ms stagger)', communityRecipe],
      ['lms-export fan-out', (s: LmsSimulator, e: Set<number>) => ours(env, s, e)],
    ] as const) {
      const simulator = new LmsSimulator(SIMULATOR);
      await simulator.start();
      process.env[TOKEN_ENV] = simulator.token;
      const expected = new Set(simulator.data.list('enrollments').map((r) => r.id));
      try {
        results.push([name, await run(simulator, expected)]);
      } finally {
        await simulator.stop();
      }
    }
    console.log(`${COURSES} courses → enrollments, 100 ms latency, bucket: high water ${BUCKET.highWater}, leak ${BUCKET.leakPerSecond}/s, cost ${BUCKET.cost}; window ${WINDOW ?? 'default'}`);
    console.log('approach                                      | seconds | requests | throttled | exact');
    for (const [name, o] of results) console.log(`${name.padEnd(45)} | ${o.seconds.toFixed(1).padStart(7)} | ${String(o.requests).padStart(8)} | ${String(o.throttled).padStart(9)} | ${o.exact}`);
    const [recipe, fanOut] = results.map(([, o]) => o);
    if (recipe && fanOut) console.log(`time ratio lms-export / recipe: ${(fanOut.seconds / recipe.seconds).toFixed(2)}`);
  } finally {
    await env.teardown();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
