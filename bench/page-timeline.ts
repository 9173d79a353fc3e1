import type { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';
import type { PageSummary } from '../src/activities/fetch-page';
import type { PersistResult } from '../src/sinks/sink';

/**
 * Where a traversal's time went per page, from its workflow histories: the server's event times for the
 * workflow's own costs (workflow tasks, activities waiting to start) and the activities' own timings (carried in
 * their results) for what happens inside them.
 */

type History = temporal.api.history.v1.IHistory;
type Event = temporal.api.history.v1.IHistoryEvent;

interface ActivitySpan {
  type: string;
  scheduled: number;
  started?: number;
  completed?: number;
  result?: unknown;
}

/** Averages in ms per page (or per workflow task), by step. */
export type Breakdown = Array<[step: string, ms: number]>;

/** A JSON payload's value; undefined for any other (an encrypted one, say): its timings are then left out. */
function decoded(payloads: temporal.api.common.v1.IPayloads | null | undefined): unknown {
  const payload = payloads?.payloads?.[0];
  const encoding = payload?.metadata?.['encoding'];
  if (!payload?.data || encoding === undefined || Buffer.from(encoding).toString('utf8') !== 'json/plain') return undefined;
  return JSON.parse(Buffer.from(payload.data).toString('utf8'));
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

export function pageBreakdown(histories: History[]): { pages: number; steps: Breakdown } {
  const spans = new Map<string, ActivitySpan>();
  const taskTimes = { waiting: [] as number[], running: [] as number[] };
  let taskScheduled = 0;
  let taskStarted = 0;
  histories.forEach((history, run) => {
    for (const event of history.events ?? []) {
      const at = tsToMs(event.eventTime);
      const id = (e: Event, scheduledId: unknown): string => `${run}:${String(scheduledId ?? e.eventId)}`;
      if (event.workflowTaskScheduledEventAttributes) taskScheduled = at;
      if (event.workflowTaskStartedEventAttributes) {
        taskStarted = at;
        taskTimes.waiting.push(at - taskScheduled);
      }
      if (event.workflowTaskCompletedEventAttributes) taskTimes.running.push(at - taskStarted);
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled) spans.set(id(event, event.eventId), { type: scheduled.activityType?.name ?? '?', scheduled: at });
      const started = event.activityTaskStartedEventAttributes;
      if (started) {
        const span = spans.get(id(event, started.scheduledEventId));
        if (span) span.started = at;
      }
      const completed = event.activityTaskCompletedEventAttributes;
      if (completed) {
        const span = spans.get(id(event, completed.scheduledEventId));
        if (span) Object.assign(span, { completed: at, result: decoded(completed.result) });
      }
    }
  });
  const done = [...spans.values()].filter((s) => s.started !== undefined && s.completed !== undefined);
  const fetches = done.filter((s) => s.type === 'fetchPage');
  const persists = done.filter((s) => s.type === 'persistPage').sort((a, b) => a.scheduled - b.scheduled);
  const summaries = fetches.flatMap((s) => (s.result === undefined ? [] : [s.result as PageSummary]));
  const persisted = persists.flatMap((s) => (s.result === undefined ? [] : [s.result as PersistResult]));
  const toStart = (list: ActivitySpan[]): number => mean(list.map((s) => (s.started as number) - s.scheduled));
  const running = (list: ActivitySpan[]): number => mean(list.map((s) => (s.completed as number) - (s.started as number)));
  // Between one persist's completion and the next one's schedule: the workflow task that advances the cursor.
  const gaps = persists.slice(1).map((s, i) => s.scheduled - (persists[i]?.completed as number));
  const first = Math.min(...done.map((s) => s.scheduled));
  const last = Math.max(...persists.map((s) => s.completed as number));
  const timing = <T>(list: T[], pick: (t: T) => number | undefined): number => mean(list.map(pick).filter((n): n is number => n !== undefined));
  return {
    pages: persists.length,
    steps: [
      ['wall time per page (first schedule to last persist)', (last - first) / Math.max(1, persists.length)],
      ['workflow task: scheduled → started', mean(taskTimes.waiting)],
      ['workflow task: started → completed', mean(taskTimes.running)],
      ['workflow tasks per page', taskTimes.running.length / Math.max(1, persists.length)],
      ['persist done → next persist scheduled', mean(gaps)],
      ['fetchPage: scheduled → started', toStart(fetches)],
      ['fetchPage: started → completed', running(fetches)],
      ['  fetch (HTTP, checks, parse)', timing(summaries, (s) => s.timings?.fetchMs)],
      ['  staging', timing(summaries, (s) => s.timings?.stageMs)],
      ['persistPage: scheduled → started', toStart(persists)],
      ['persistPage: started → completed', running(persists)],
      ...persistSteps(persisted),
    ],
  };
}

/** The persist's own timings, averaged. */
export function persistSteps(results: PersistResult[]): Breakdown {
  const timing = (pick: (t: NonNullable<PersistResult['timings']>) => number): number => mean(results.flatMap((r) => (r.timings ? [pick(r.timings)] : [])));
  return [
    ['  read staged page', timing((t) => t.readMs)],
    ['  key, hash, check records', timing((t) => t.keyMs)],
    ['  shape (drift)', timing((t) => t.shapeMs)],
    ['  merge (bulk load, count, upsert)', timing((t) => t.mergeMs)],
    ['  audit row and hash chain', timing((t) => t.auditMs)],
    ['  commit and typed view', timing((t) => t.totalMs - t.readMs - t.keyMs - t.shapeMs - t.mergeMs - t.auditMs)],
  ];
}
