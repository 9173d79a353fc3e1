/**
 * A Canvas-style nested export — 1,000 courses, then each course's enrollments — at 100 ms latency against the
 * simulated leaky bucket: lms-export's fan-out versus the community's recipe (a plain script: fetch the course
 * list, then per-course requests with a fixed 30 in flight, 50 ms apart, retrying a throttled answer after a
 * second). Prints time, throttled answers and whether each result is exact, then where a parent's time went in
 * the fan-out (from its history) and how many parents needed a child workflow; figures from one run.
 *
 *   npm run bench:fan-out         (finds or installs a `temporal` CLI as the demo does)
 *   BENCH_ENROLLMENTS_MAX=250     courses of 0–250 enrollments: a share of them has more than one page
 *   BENCH_SINK=postgres           PostgreSQL at BENCH_PG instead of a DuckDB file
 */
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { request } from 'undici';
import { startLocalTemporal } from '../src/dev/dev-server';
import { startExport, waitForReport } from '../src/client/exports';
import { createExportWorker } from '../src/worker/worker';
import { LmsSimulator } from '../src/simulator/server';
import { writeFanOutResult } from './fan-out-result';
import { adminQuery, databaseUrl } from './admin-query';
import { runBench } from './run-bench';

const TOKEN_ENV = 'BENCH_TOKEN';
const TASK_QUEUE = 'bench-fan-out';
const COURSES = Number(process.env['BENCH_COURSES'] ?? 1_000);
/** Child traversals in flight (`parent.maxParallel`); the spec's default unless given. */
const WINDOW = process.env['BENCH_WINDOW'] === undefined ? undefined : Number(process.env['BENCH_WINDOW']);
// Canvas's bucket shape, leaking 10× faster than Canvas so the bench takes a minute, not ten.
const BUCKET = { highWater: 700, upfront: 50, leakPerSecond: 100, cost: 5 };
/** Enrollments per course are 0 to this (every 25th course none); at 100 a page, the default 60 makes every course one page. */
const ENROLLMENTS_MAX = Number(process.env['BENCH_ENROLLMENTS_MAX'] ?? 60);
const SINK = process.env['BENCH_SINK'] ?? 'duckdb';
const DATABASE = `lms_export_bench_fan_out_${process.pid}`;
const SIMULATOR = { users: 2_000, courses: COURSES, enrollmentsPerCourseMax: ENROLLMENTS_MAX, latencyMs: 100, canvasBucket: BUCKET };

interface Outcome {
  seconds: number;
  throttled: number;
  requests: number;
  exact: boolean;
}

/** Where the parents the fan-out read itself spent their time, and how many went on in a child workflow. */
interface FanOutFigures {
  fanOutSeconds: number;
  parents: number;
  children: number;
  /** Per parent read by the fan-out, mean ms: first fetch scheduled → last persist completed, and its parts. */
  perParent: { span: number; request: number; dispatch: number; persist: number; rest: number; count: number };
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The fan-out's fetchPage and persistPage activities, grouped by the parent traversal they belong to (from their inputs). */
async function parentTimings(client: Client, workflowId: string): Promise<FanOutFigures['perParent']> {
  interface Span { type: string; traversal: string; scheduled: number; started?: number; completed?: number }
  const byParent = new Map<string, Span[]>();
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const spans = new Map<string, Span>();
    for (const event of (await client.workflow.getHandle(workflowId, execution.runId).fetchHistory()).events ?? []) {
      const at = tsToMs(event.eventTime);
      const scheduled = event.activityTaskScheduledEventAttributes;
      const type = scheduled?.activityType?.name;
      if (scheduled && (type === 'fetchPage' || type === 'persistPage')) {
        const data = scheduled.input?.payloads?.[0]?.data;
        const traversal = data ? String((JSON.parse(Buffer.from(data).toString('utf8')) as { traversal: string }).traversal).replace(/~.*$/, '') : '?';
        const span: Span = { type, traversal, scheduled: at };
        spans.set(String(event.eventId), span);
        byParent.set(traversal, [...(byParent.get(traversal) ?? []), span]);
      }
      const started = event.activityTaskStartedEventAttributes;
      const startedSpan = started && spans.get(String(started.scheduledEventId));
      if (startedSpan) startedSpan.started = at;
      const completed = event.activityTaskCompletedEventAttributes;
      const completedSpan = completed && spans.get(String(completed.scheduledEventId));
      if (completedSpan) completedSpan.completed = at;
    }
  }
  const rows = [...byParent.values()].filter((spans) => spans.every((s) => s.started !== undefined && s.completed !== undefined));
  const sum = (spans: Span[], type: string, pick: (s: Span) => number): number => spans.filter((s) => s.type === type).reduce((n, s) => n + pick(s), 0);
  const span = rows.map((spans) => Math.max(...spans.map((s) => s.completed as number)) - Math.min(...spans.map((s) => s.scheduled)));
  const request = rows.map((spans) => sum(spans, 'fetchPage', (s) => (s.completed as number) - (s.started as number)));
  const dispatch = rows.map((spans) => sum(spans, 'fetchPage', (s) => (s.started as number) - s.scheduled));
  const persist = rows.map((spans) => sum(spans, 'persistPage', (s) => (s.completed as number) - s.scheduled));
  return {
    span: mean(span),
    request: mean(request),
    dispatch: mean(dispatch),
    persist: mean(persist),
    rest: mean(span) - mean(request) - mean(dispatch) - mean(persist),
    count: rows.length,
  };
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

/** What the run did when, from its history: each child workflow and activity, seconds from the run's start. */
async function runTimeline(client: Client, workflowId: string): Promise<string[]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const origin = tsToMs(events[0]?.eventTime);
  const spans = new Map<string, { name: string; from: number; to?: number }>();
  for (const event of events) {
    const at = (tsToMs(event.eventTime) - origin) / 1000;
    const child = event.startChildWorkflowExecutionInitiatedEventAttributes;
    if (child) spans.set(`c${event.eventId}`, { name: (child.workflowId ?? '?').slice(workflowId.length + 1), from: at });
    const childEnded = event.childWorkflowExecutionCompletedEventAttributes ?? event.childWorkflowExecutionFailedEventAttributes;
    const endedSpan = childEnded && spans.get(`c${childEnded.initiatedEventId}`);
    if (endedSpan) endedSpan.to = at;
    const activity = event.activityTaskScheduledEventAttributes;
    if (activity) spans.set(`a${event.eventId}`, { name: activity.activityType?.name ?? '?', from: at });
    const activityEnded = event.activityTaskCompletedEventAttributes;
    const activitySpan = activityEnded && spans.get(`a${activityEnded.scheduledEventId}`);
    if (activitySpan) activitySpan.to = at;
  }
  const end = (tsToMs(events[events.length - 1]?.eventTime) - origin) / 1000;
  return [...[...spans.values()].map((s) => `${s.name} ${s.from.toFixed(1)}–${s.to?.toFixed(1) ?? '?'} s`), `run done at ${end.toFixed(1)} s`];
}

let fanOutFigures: FanOutFigures | undefined;
let timeline: string[] = [];

async function ours(env: TestWorkflowEnvironment, simulator: LmsSimulator, expected: Set<number>): Promise<Outcome> {
  const worker = await createExportWorker({ connection: env.nativeConnection, taskQueue: TASK_QUEUE });
  const running = worker.run();
  try {
    const started = performance.now();
    const sink =
      SINK === 'postgres'
        ? { kind: 'postgres' as const, url: databaseUrl(DATABASE), schema: 'public' }
        : { kind: 'duckdb' as const, path: `.tmp/bench-fan-out-${process.pid}.duckdb` };
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
    const enrollments = report.resources.find((r) => r.resource === 'enrollments');
    fanOutFigures = {
      fanOutSeconds: (enrollments?.durationMs ?? 0) / 1000,
      parents: enrollments?.parents?.done ?? 0,
      children: enrollments?.parents?.children ?? 0,
      perParent: await parentTimings(env.client, `${report.workflowId}-enrollments`),
    };
    timeline = await runTimeline(env.client, report.workflowId);
    return { seconds, throttled: simulator.stats.throttled.length, requests: simulator.stats.pageRequests, exact };
  } finally {
    worker.shutdown();
    await running;
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  if (SINK === 'postgres') await adminQuery(`CREATE DATABASE ${DATABASE}`);
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
    console.log(`${COURSES} courses → 0–${ENROLLMENTS_MAX} enrollments each, 100 ms latency, bucket: high water ${BUCKET.highWater}, leak ${BUCKET.leakPerSecond}/s, cost ${BUCKET.cost}; window ${WINDOW ?? 'default'}, ${SINK === 'postgres' ? 'PostgreSQL' : 'DuckDB'} sink`);
    console.log('approach                                      | seconds | requests | throttled | exact');
    for (const [name, o] of results) console.log(`${name.padEnd(45)} | ${o.seconds.toFixed(1).padStart(7)} | ${String(o.requests).padStart(8)} | ${String(o.throttled).padStart(9)} | ${o.exact}`);
    const [recipe, fanOut] = results.map(([, o]) => o);
    if (recipe && fanOut) console.log(`time ratio lms-export / recipe: ${(fanOut.seconds / recipe.seconds).toFixed(2)}`);
    if (fanOutFigures !== undefined) {
      const { fanOutSeconds, parents, children, perParent: p } = fanOutFigures;
      console.log(`fan-out workflow: ${fanOutSeconds.toFixed(1)} s for ${parents} parents; ${children} went on in a child workflow (more than one page)`);
      console.log(`per parent read by the fan-out (${p.count}), mean ms: ${p.span.toFixed(0)} from first fetch scheduled to last persist done = ` +
        `request ${p.request.toFixed(0)} (pacer wait included) + dispatch to the request queue ${p.dispatch.toFixed(0)} + persist ${p.persist.toFixed(0)} + workflow tasks between ${p.rest.toFixed(0)}`);
    }
    if (timeline.length > 0) console.log(`the run, from its history: ${timeline.join('; ')}`);
    writeFanOutResult(`${COURSES} courses → 0–${ENROLLMENTS_MAX} enrollments each, 100 ms latency, bucket: high water ${BUCKET.highWater}, leak ${BUCKET.leakPerSecond}/s, cost ${BUCKET.cost}; window ${WINDOW ?? 'default'}, ${SINK === 'postgres' ? 'PostgreSQL' : 'DuckDB'} sink`, { BENCH_COURSES: COURSES, BENCH_ENROLLMENTS_MAX: ENROLLMENTS_MAX, BENCH_WINDOW: WINDOW ?? null, BENCH_SINK: SINK }, results);
  } finally {
    await env.teardown();
    if (SINK === 'postgres') await adminQuery(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  }
}

runBench(main);
