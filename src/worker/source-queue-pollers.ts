import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { ExportActivities } from '../activities';
import { scopedActivities } from '../activities/activity-scope';
import { namedWorkerConfigFailures } from '../activities/worker-config-failures';
import { readRequestQueueMemo, type RequestQueueBudget } from '../sources/request-budget';
import type { RequestCeiling } from '../client/settings';

/** How a worker stops: the grace its running activities get, and when it gives up on those that ignore cancellation. */
export type WorkerShutdownOptions = Required<Pick<WorkerOptions, 'shutdownGraceTime' | 'shutdownForceTime'>>;

/** What every worker of a process shares: how it stops, how often it lets heartbeats through, and who it is. */
export type SharedWorkerOptions = WorkerShutdownOptions & Pick<WorkerOptions, 'maxHeartbeatThrottleInterval' | 'identity'>;

export interface SourceQueuePollersOptions {
  connection: NativeConnection;
  namespace: string;
  /** The deployment's main queue: only runs on it are this worker's business. */
  taskQueue: string;
  fetchPage: ExportActivities['fetchPage'];
  ceiling: RequestCeiling;
  /** How often the running exports are listed for new sources. */
  discoveryIntervalMs?: number;
  log?: (line: string) => void;
  /** The process's shutdown grace, heartbeat throttle and identity, the same for every worker it runs. */
  shared?: SharedWorkerOptions;
  /** The process's payload encryption (codec/data-converter.ts): memos and page requests are encrypted too. */
  dataConverter?: DataConverter;
}

interface Poller {
  budget: RequestQueueBudget;
  worker: Promise<Worker>;
  running: Promise<void>;
}

/**
 * Polls the request queue of every source a running export uses, each with that source's budget. Runs publish
 * their source's queue and budget in their memo (at start, and again from the workflow for runs started from
 * the Temporal CLI or Web UI); every worker lists the running exports of its task queue and starts polling
 * any queue it does not poll yet. So the server-side requests-per-second ceiling is the source's, whichever
 * worker fetches, and no worker needs to be told about sources in advance.
 */
export class SourceQueuePollers {
  private readonly pollers = new Map<string, Poller>();
  /** The process's client on the worker's connection, for what else a worker asks the server. */
  readonly client: Client;
  private stopping = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: SourceQueuePollersOptions) {
    this.client = new Client({ connection: options.connection, namespace: options.namespace, dataConverter: options.dataConverter });
  }

  /** The queues polled now, with the budget each was started with (after the deployment's ceiling). */
  polled(): RequestQueueBudget[] {
    return [...this.pollers.values()].map((p) => p.budget);
  }

  /** Lists running exports and polls the queues they name, until `shutdown()`; then waits for the pollers. */
  async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.discover();
      } catch (error) {
        // The server may be restarting: the pollers keep their queues, discovery tries again.
        console.warn(`lms-export worker: listing running exports failed (${(error as Error).message}); retrying`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.discoveryIntervalMs ?? 1_000);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await Promise.all([...this.pollers.values()].map((p) => p.running));
  }

  shutdown(): void {
    this.stopping = true;
    this.wake?.();
    for (const poller of this.pollers.values()) void poller.worker.then((w) => w.shutdown()).catch(() => undefined);
  }

  async discover(): Promise<void> {
    const query = `WorkflowType = 'exportRun' AND ExecutionStatus = 'Running' AND TaskQueue = '${this.options.taskQueue}'`;
    for await (const execution of this.client.workflow.list({ query })) {
      const budget = readRequestQueueMemo(execution.memo);
      if (budget !== undefined) this.poll(budget);
    }
  }

  /** Starts polling `budget.queue` unless this worker already does. */
  poll(asked: RequestQueueBudget): void {
    const existing = this.pollers.get(asked.queue);
    if (existing !== undefined) {
      const { requestsPerSecond, concurrentRequestsPerWorker } = this.withinCeiling(asked);
      if (existing.budget.requestsPerSecond !== requestsPerSecond || existing.budget.concurrentRequestsPerWorker !== concurrentRequestsPerWorker) {
        console.warn(`lms-export worker: exports of one source ask for different budgets on ${asked.queue}; keeping ${describe(existing.budget)}, not ${describe(asked)}`);
      }
      return;
    }
    if (this.stopping) return;
    const budget = this.withinCeiling(asked);
    const worker = Worker.create({
      connection: this.options.connection,
      namespace: this.options.namespace,
      taskQueue: budget.queue,
      activities: { fetchPage: this.options.fetchPage },
      interceptors: { activity: [scopedActivities, namedWorkerConfigFailures] },
      maxConcurrentActivityTaskExecutions: budget.concurrentRequestsPerWorker,
      maxTaskQueueActivitiesPerSecond: budget.requestsPerSecond,
      dataConverter: this.options.dataConverter,
      ...this.options.shared,
    });
    const running = worker
      .then(async (w) => {
        if (this.stopping) w.shutdown();
        await w.run();
      })
      .catch((error: Error) => {
        // Forgotten, so the next discovery starts it again while a run still needs it.
        console.error(`lms-export worker: polling ${budget.queue} stopped: ${error.message}`);
        this.pollers.delete(budget.queue);
      });
    this.pollers.set(budget.queue, { budget, worker, running });
    this.options.log?.(`lms-export worker polling request queue "${budget.queue}": ${describe(budget)}`);
  }

  private withinCeiling(budget: RequestQueueBudget): RequestQueueBudget {
    const { requestsPerSecond, concurrentRequests } = this.options.ceiling;
    return {
      queue: budget.queue,
      requestsPerSecond: Math.min(budget.requestsPerSecond, requestsPerSecond ?? Infinity),
      concurrentRequestsPerWorker: Math.min(budget.concurrentRequestsPerWorker, concurrentRequests ?? Infinity),
    };
  }
}

function describe(budget: RequestQueueBudget): string {
  return `${budget.requestsPerSecond} requests/s, ${budget.concurrentRequestsPerWorker} at once per worker`;
}
