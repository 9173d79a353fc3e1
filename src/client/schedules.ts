import type { Client, ScheduleDescription, ScheduleHandle, ScheduleSummary } from '@temporalio/client';
import { REQUEST_QUEUE_MEMO, requestQueueBudget } from '../sources/request-budget';
import { workflowTaskTimeout } from '../workflows/activity-options';
import { parseExportSpec } from '../spec/parse-spec';
import type { exportRun } from '../workflows/export-run';
import type { RunReport } from '../workflows/report';
import { LMS_VERDICT, runVerdict } from '../workflows/search-attributes';
import { runWorkflowId } from './exports';
import { runMetadata } from './run-metadata';
import { parseInterval } from '../cli/plan';
import { taskQueue as defaultTaskQueue } from './settings';

/**
 * Hourly (or any) syncs on Temporal Schedules. The action starts `exportRun` with the spec as its input — still
 * plain JSON without secrets — under `export-<name>`, to which the server appends the scheduled time, so every
 * run has its own workflow id. Overlap SKIP: a run still going when the next is due is not doubled.
 */
export interface CreateScheduleOptions {
  every: string;
  scheduleId?: string;
  taskQueue?: string;
  /** How late a missed run may still start after an outage; older ones are skipped. */
  catchupWindow?: string;
}

export function scheduleIdOf(specName: string): string {
  return `sync-${specName}`;
}

export async function createSchedule(client: Client, raw: unknown, options: CreateScheduleOptions): Promise<ScheduleHandle> {
  const spec = parseExportSpec(raw);
  const every = parseInterval(options.every);
  const queue = options.taskQueue ?? defaultTaskQueue();
  return client.schedule.create<typeof exportRun>({
    scheduleId: options.scheduleId ?? scheduleIdOf(spec.name),
    spec: { intervals: [{ every: every * 1000 }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'exportRun',
      workflowId: runWorkflowId(spec),
      taskQueue: queue,
      args: [raw],
      memo: { [REQUEST_QUEUE_MEMO]: requestQueueBudget(queue, spec.source) },
      workflowTaskTimeout: workflowTaskTimeout(spec.execution),
      ...(await runMetadata(client, spec)),
    },
    policies: { overlap: 'SKIP', catchupWindow: parseInterval(options.catchupWindow ?? '10m', '--catchup-window') * 1000 },
    memo: { spec: spec.name },
  });
}

export interface ScheduleListing {
  scheduleId: string;
  paused: boolean;
  every: string[];
  nextRuns: string[];
  recentRuns: Array<{ scheduledAt: string; workflowId?: string; runId?: string; outcome?: string; verdict?: string }>;
  /** Scheduled times that started no run, and why (the server counts them). */
  skipped?: { overlap: number; missedCatchupWindow: number };
}

function listingOf(summary: ScheduleSummary | (ScheduleDescription & { scheduleId: string })): ScheduleListing {
  return {
    scheduleId: summary.scheduleId,
    paused: summary.state.paused,
    every: (summary.spec?.intervals ?? []).map((i) => `${Number(i.every) / 1000} s`),
    nextRuns: summary.info.nextActionTimes.map((t) => t.toISOString()),
    recentRuns: summary.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      workflowId: a.action.type === 'startWorkflow' ? a.action.workflow.workflowId : undefined,
    })),
  };
}

/** Schedules that start `exportRun`. */
export async function listSchedules(client: Client): Promise<ScheduleListing[]> {
  const found: ScheduleListing[] = [];
  for await (const summary of client.schedule.list()) {
    if (summary.action?.type === 'startWorkflow' && summary.action.workflowType === 'exportRun') found.push(listingOf(summary));
  }
  return found;
}

/** A schedule with each recent run's outcome (running, completed, failed…) and verdict, and the runs it skipped. */
export async function describeSchedule(client: Client, scheduleId: string): Promise<ScheduleListing> {
  const description = await client.schedule.getHandle(scheduleId).describe();
  const listing = listingOf({ ...description, scheduleId });
  const runIds = description.info.recentActions.map((a) => (a.action.type === 'startWorkflow' ? a.action.workflow.firstExecutionRunId : undefined));
  listing.recentRuns = await Promise.all(listing.recentRuns.map(async (run, i) => ({ ...run, runId: runIds[i], ...(await outcomeOf(client, run.workflowId, runIds[i])) })));
  listing.skipped = { overlap: description.info.numActionsSkippedOverlap, missedCatchupWindow: description.info.numActionsMissedCatchupWindow };
  return listing;
}

/** How a scheduled run ended (or that it runs), and its verdict: the run's LmsVerdict, else its report's. */
async function outcomeOf(client: Client, workflowId: string | undefined, runId: string | undefined): Promise<{ outcome?: string; verdict?: string }> {
  if (workflowId === undefined) return {};
  try {
    const handle = client.workflow.getHandle(workflowId, runId);
    const described = await handle.describe();
    const outcome = described.status.name.toLowerCase();
    const indexed = described.typedSearchAttributes.get(LMS_VERDICT);
    if (indexed !== undefined || described.status.name !== 'COMPLETED') return { outcome, verdict: indexed };
    return { outcome, verdict: runVerdict(((await handle.result()) as RunReport).resources.map((r) => r.completeness?.verdict)) };
  } catch {
    return { outcome: 'unknown (no longer on the server)' };
  }
}

export function formatSchedule(listing: ScheduleListing): string {
  const lines = [`${listing.scheduleId}: every ${listing.every.join(', ')}${listing.paused ? ' (paused)' : ''}`];
  if (listing.nextRuns.length > 0) lines.push(`  next: ${listing.nextRuns.slice(0, 3).join(', ')}`);
  for (const run of listing.recentRuns.slice(-5)) {
    const outcome = run.outcome === undefined ? '' : `: ${run.outcome}${run.verdict === undefined ? '' : `, ${run.verdict}`}`;
    lines.push(`  ran: ${run.scheduledAt} → ${run.workflowId ?? '?'}${outcome}`);
  }
  const { overlap = 0, missedCatchupWindow = 0 } = listing.skipped ?? {};
  if (overlap > 0) lines.push(`  skipped: ${overlap} scheduled time(s) while the previous run was still going (overlap SKIP)`);
  if (missedCatchupWindow > 0) lines.push(`  missed: ${missedCatchupWindow} scheduled time(s) the server could not start within the catch-up window (it was down or unreachable)`);
  return lines.join('\n');
}

export type OverlapPolicy = 'SKIP' | 'BUFFER_ONE' | 'BUFFER_ALL' | 'ALLOW_ALL';

/**
 * What a backfill of [start, end) will do, said before it is sent: how many scheduled times the window holds,
 * and what the overlap policy makes of them (SKIP starts one now and skips the times that come due while it runs).
 */
export function backfillPlan(everySeconds: number[], start: Date, end: Date, overlap: OverlapPolicy): { times: number; says: string } {
  const every = Math.min(...everySeconds);
  const times = Number.isFinite(every) && every > 0 ? Math.ceil((end.getTime() - start.getTime()) / (every * 1000)) : 0;
  const says: Record<OverlapPolicy, string> = {
    SKIP: `overlap SKIP: one run starts now, and the others are skipped if it is still running when they come due (as a backfill starts them at once, expect one run); --overlap BUFFER_ALL runs them one after another`,
    BUFFER_ONE: 'overlap BUFFER_ONE: one runs now, one more waits for it, the rest are skipped',
    BUFFER_ALL: `overlap BUFFER_ALL: all ${times} run, one after another`,
    ALLOW_ALL: `overlap ALLOW_ALL: all ${times} start now, side by side (they write the same tables)`,
  };
  return { times, says: `${times} scheduled time(s) from ${start.toISOString()} to ${end.toISOString()}; ${says[overlap]}` };
}
