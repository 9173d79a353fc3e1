import { hostname } from 'node:os';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { FailureType } from '../failures';

const { PendingActivityState } = temporal.api.enums.v1;

/** Runs described at once while looking for attempts to reclaim. */
const DESCRIBE_CONCURRENCY = 8;

/** The failure type a reclaimed attempt ends with, retried like any lost attempt. */
export const WORKER_LOST_FAILURE = FailureType.WorkerLost;

/**
 * This process's worker identity, as every worker of it reports to the server (the SDK's default form, set
 * explicitly so a restart can recognise what its predecessor on this host was running).
 */
export function workerIdentity(): string {
  return `${process.pid}@${hostname()}`;
}

export interface ReclaimOptions {
  client: Client;
  /** The deployment's main queue: the runs on it are the ones this worker could have been running. */
  taskQueue: string;
  /** When this process started: an attempt started after it may be its own. */
  processStartedAt: Date;
  identity?: string;
  log?: (line: string) => void;
}

export interface Reclaimed {
  attempts: number;
  /** The identities of the dead workers whose attempts were reclaimed. */
  from: string[];
}

/**
 * Whether an attempt last run by `identity` belongs to a worker process that is gone: one on this host whose
 * process no longer exists, or one with our own identity that started before we did (a container restarted with
 * the same process id). Attempts of workers on other hosts are never judged here: their heartbeat timeout tells.
 */
export function deadOnThisHost(identity: string, ours: string): boolean {
  const [pid, host] = splitIdentity(identity);
  const [ourPid, ourHost] = splitIdentity(ours);
  if (pid === undefined || host !== ourHost) return false;
  return pid === ourPid || !processExists(pid);
}

/**
 * A worker that starts where its predecessor was killed (out of memory, SIGKILL, a crash under a supervisor that
 * restarts it at once) ends that predecessor's attempts now, as failed with a retryable `WorkerLost`, instead of
 * leaving each to its heartbeat timeout: the server retries them at once, here or on any other worker. The run's
 * sticky queue (the dead worker's cache) is reset too, so its next workflow task goes to a live worker without
 * waiting for the sticky queue's timeout. Costs one list and one describe per running run, once per start.
 */
export async function reclaimAttemptsOfDeadWorkers(options: ReclaimOptions): Promise<Reclaimed> {
  const ours = options.identity ?? workerIdentity();
  const startedAtMs = options.processStartedAt.getTime();
  const { client } = options;
  const runs: { workflowId: string; runId: string }[] = [];
  for await (const execution of client.workflow.list({ query: `TaskQueue = '${options.taskQueue}' AND ExecutionStatus = 'Running'` })) {
    runs.push({ workflowId: execution.workflowId, runId: execution.runId });
  }
  const reclaimed: Reclaimed = { attempts: 0, from: [] };
  const reclaimRun = async (run: { workflowId: string; runId: string }): Promise<void> => {
    const description = await client.workflow.getHandle(run.workflowId, run.runId).describe();
    const lost = (description.raw.pendingActivities ?? []).filter(
      (activity) =>
        activity.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED &&
        activity.lastWorkerIdentity !== undefined &&
        activity.lastWorkerIdentity !== null &&
        millisOf(activity.lastStartedTime) < startedAtMs &&
        deadOnThisHost(activity.lastWorkerIdentity, ours),
    );
    if (lost.length === 0) return;
    await client.workflowService.resetStickyTaskQueue({ namespace: client.options.namespace, execution: run });
    for (const activity of lost) {
      const dead = activity.lastWorkerIdentity as string;
      const failure = ApplicationFailure.create({
        message: `worker ${dead} stopped during this attempt; worker ${ours} started on its host and retried it`,
        type: WORKER_LOST_FAILURE,
        // Nothing to back off from: the attempt did not fail, its worker died.
        nextRetryDelay: 1,
      });
      // The attempt may have ended meanwhile (its heartbeat timed out, or it was not lost after all): nothing to do.
      const ended = await client.activity.fail({ ...run, activityId: activity.activityId as string }, failure).then(() => true, () => false);
      if (!ended) continue;
      reclaimed.attempts += 1;
      if (!reclaimed.from.includes(dead)) reclaimed.from.push(dead);
    }
  };
  for (let i = 0; i < runs.length; i += DESCRIBE_CONCURRENCY) {
    // A run that ended meanwhile has nothing to reclaim.
    await Promise.all(runs.slice(i, i + DESCRIBE_CONCURRENCY).map((run) => reclaimRun(run).catch(() => undefined)));
  }
  if (reclaimed.attempts > 0) options.log?.(`lms-export worker: retried ${reclaimed.attempts} attempt(s) of ${reclaimed.from.join(', ')}, which stopped on this host`);
  return reclaimed;
}

function splitIdentity(identity: string): [number | undefined, string | undefined] {
  const match = /^(\d+)@(.+)$/.exec(identity);
  return match === null ? [undefined, undefined] : [Number(match[1]), match[2]];
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function millisOf(time: temporal.api.workflow.v1.IPendingActivityInfo['lastStartedTime']): number {
  return Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);
}
