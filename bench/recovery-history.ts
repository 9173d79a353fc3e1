import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const { EventType, TimeoutType } = temporal.api.enums.v1;

/** What a traversal's history says about lost work: retried attempts by cause, and workflow tasks that timed out. */
export interface HistoryFindings {
  /** Activities that needed more than one attempt, by activity and what ended the attempt before the last (`heartbeat timeout`, a failure type). */
  retriedAttempts: Record<string, number>;
  /** Workflow tasks that timed out, by timeout (start-to-close: the worker died holding it; schedule-to-start: sent to a dead worker's sticky queue). */
  workflowTaskTimeouts: Record<string, number>;
}

function timeoutName(type: number | null | undefined): string {
  switch (type) {
    case TimeoutType.TIMEOUT_TYPE_HEARTBEAT:
      return 'heartbeat timeout';
    case TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE:
      return 'start-to-close timeout';
    case TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START:
      return 'schedule-to-start timeout';
    default:
      return `timeout ${type}`;
  }
}

/** Reads every run of a workflow id (continue-as-new makes a chain) and counts what was retried or timed out. */
export async function historyFindings(client: Client, workflowId: string): Promise<HistoryFindings> {
  const findings: HistoryFindings = { retriedAttempts: {}, workflowTaskTimeouts: {} };
  const add = (counts: Record<string, number>, key: string): void => void (counts[key] = (counts[key] ?? 0) + 1);
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
    const events = history.events ?? [];
    const activityOf = new Map(events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).map((e) => [Number(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name ?? '?']));
    for (const event of events) {
      const started = event.activityTaskStartedEventAttributes;
      if (started && (started.attempt ?? 1) > 1) {
        const failure = started.lastFailure;
        const cause = failure?.timeoutFailureInfo ? timeoutName(failure.timeoutFailureInfo.timeoutType) : (failure?.applicationFailureInfo?.type ?? 'other failure');
        // One started event stands for the attempt that finished; it names only the failure just before it.
        add(findings.retriedAttempts, `${activityOf.get(Number(started.scheduledEventId))} after ${cause}`);
      }
      if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) add(findings.workflowTaskTimeouts, timeoutName(event.workflowTaskTimedOutEventAttributes?.timeoutType));
    }
  }
  return findings;
}

export function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  return entries.length === 0 ? 'none' : entries.map(([what, n]) => `${what} ×${n}`).join(', ');
}
