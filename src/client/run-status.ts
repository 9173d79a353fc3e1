import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { runProgressQuery, type RunProgress } from '../workflows/definitions';
import { PROGRESS_MEMO, type ProgressMemo } from '../workflows/progress-memo';
import { liveResources, type LiveResource } from '../cli/live-progress';

/** An activity of a traversal that is failing and being retried: which, at which attempt, and why. */
export interface RetryingActivity {
  activity: string;
  attempt: number;
  lastFailure: string;
}

export interface ExportStatus {
  workflowId: string;
  workflowStatus: string;
  run: RunProgress;
  /** One line per resource, in the spec's order. */
  resources: LiveResource[];
  /** Per resource, its page requests that failed at least once and are being retried (the server knows, the workflow not yet). */
  retrying: Record<string, RetryingActivity[]>;
}

/**
 * A traversal publishes its memo at least this often while pages get through; one whose memo is older is waiting
 * on a page (a slow server, or retries), and only then is the server asked about its pending activities.
 */
const QUIET_MS = 6_000;

interface RunningWorkflow {
  workflowId: string;
  memo: ProgressMemo | undefined;
}

/**
 * A run's progress in a constant number of calls, whatever its size: the run's `runProgress` query, its
 * description, and one visibility listing of its running workflows, whose progress memos hold each traversal's
 * and fan-out's figures (progress-memo.ts). Only traversals that have gone quiet are described one by one,
 * for the attempts and last failure of the page they are stuck on.
 */
export async function exportStatus(client: Client, workflowId: string): Promise<ExportStatus> {
  const handle = client.workflow.getHandle(workflowId);
  const [description, run, running] = await Promise.all([handle.describe(), handle.query(runProgressQuery), runningWorkflowsOf(client, workflowId)]);
  const own = running.filter((w) => w.root === undefined || w.root === description.runId);
  const memos = own.flatMap((w) => (w.memo === undefined ? [] : [w.memo]));
  const quiet = own.filter((w) => w.workflowId !== workflowId && (w.memo === undefined || (w.memo.kind === 'traversal' && Date.now() - Date.parse(w.memo.reportedAt) > QUIET_MS)));
  const retrying: Record<string, RetryingActivity[]> = {};
  await Promise.all(
    quiet.map(async (w) => {
      const activities = await retryingActivities(client, w.workflowId).catch(() => []);
      const resource = w.memo?.resource ?? run.resources.find((r) => w.workflowId.startsWith(r.workflowId))?.resource;
      if (resource !== undefined && activities.length > 0) (retrying[resource] ??= []).push(...activities);
    }),
  );
  return { workflowId, workflowStatus: description.status.name, run, resources: liveResources(run, memos), retrying };
}

/** Every running workflow under a run (its traversals, fan-outs, scans), with its progress memo: one listing. */
async function runningWorkflowsOf(client: Client, workflowId: string): Promise<Array<RunningWorkflow & { root: string | undefined }>> {
  const found: Array<RunningWorkflow & { root: string | undefined }> = [];
  const query = `RootWorkflowId = '${workflowId.replace(/'/g, "\\'")}' AND ExecutionStatus = 'Running'`;
  for await (const execution of client.workflow.list({ query })) found.push({ workflowId: execution.workflowId, memo: memoOf(execution), root: execution.rootExecution?.runId ?? undefined });
  return found;
}

function memoOf(execution: WorkflowExecutionInfo): ProgressMemo | undefined {
  const memo = execution.memo?.[PROGRESS_MEMO] as ProgressMemo | undefined;
  return memo?.kind === 'traversal' || memo?.kind === 'fan-out' ? memo : undefined;
}

/** A workflow's pending activities that have failed at least once: the server keeps each one's last failure. */
async function retryingActivities(client: Client, workflowId: string): Promise<RetryingActivity[]> {
  const pending = (await client.workflow.getHandle(workflowId).describe()).raw.pendingActivities ?? [];
  return pending
    .filter((a) => a.lastFailure?.message)
    .map((a) => ({ activity: a.activityType?.name ?? 'activity', attempt: a.attempt ?? 1, lastFailure: a.lastFailure?.message ?? '' }));
}
