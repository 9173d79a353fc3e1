import type { Client, ScheduleDescription, ScheduleHandle, ScheduleSummary } from '@temporalio/client';
import { REQUEST_QUEUE_MEMO, requestQueueBudget } from '../sources/request-budget';
import { parseExportSpec } from '../spec/parse-spec';
import type { exportRun } from '../workflows/export-run';
import { runWorkflowId } from './exports';
import { runMetadata } from './run-metadata';
import { parseInterval } from './plan';
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
  recentRuns: Array<{ scheduledAt: string; workflowId?: string }>;
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

export async function describeSchedule(client: Client, scheduleId: string): Promise<ScheduleListing> {
  const description = await client.schedule.getHandle(scheduleId).describe();
  return listingOf({ ...description, scheduleId });
}

export function formatSchedule(listing: ScheduleListing): string {
  const lines = [`${listing.scheduleId}: every ${listing.every.join(', ')}${listing.paused ? ' (paused)' : ''}`];
  if (listing.nextRuns.length > 0) lines.push(`  next: ${listing.nextRuns.slice(0, 3).join(', ')}`);
  for (const run of listing.recentRuns.slice(-5)) lines.push(`  ran: ${run.scheduledAt} → ${run.workflowId ?? '?'}`);
  return lines.join('\n');
}
