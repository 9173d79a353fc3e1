import { join } from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { SinkPool } from '../sinks/open-sink';
import { requestQueueOf } from '../workflows/activity-options';
import { requestBudget, taskQueue as defaultTaskQueue, temporalAddress, temporalNamespace, type RequestBudget } from './settings';

export const WORKFLOWS_PATH = join(__dirname, '..', 'workflows', 'index.ts');

export interface ExportWorker {
  worker: Worker;
  /** Polls the request queue: page fetches, within the request budget. */
  requestWorker: Worker;
  sinks: SinkPool;
  /** Runs until `shutdown()` (or a signal), then closes the sinks it opened. */
  run(): Promise<void>;
  shutdown(): void;
}

export interface ExportWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** A pre-built bundle (tests build one per file); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxConcurrentActivityTaskExecutions?: number;
  /** Defaults to the environment's (LMS_EXPORT_REQUESTS_PER_SECOND, LMS_EXPORT_CONCURRENT_REQUESTS). */
  requestBudget?: RequestBudget;
}

export async function createExportWorker(options: ExportWorkerOptions): Promise<ExportWorker> {
  const sinks = new SinkPool();
  const activities = createActivities({ sinks });
  const namespace = options.namespace ?? temporalNamespace();
  const taskQueue = options.taskQueue ?? defaultTaskQueue();
  const budget = options.requestBudget ?? requestBudget();
  const worker = await Worker.create({
    connection: options.connection,
    namespace,
    taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities,
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 20,
  });
  const requestWorker = await Worker.create({
    connection: options.connection,
    namespace,
    taskQueue: requestQueueOf(taskQueue),
    activities: { fetchPage: activities.fetchPage },
    maxConcurrentActivityTaskExecutions: budget.concurrentRequests,
    ...(budget.requestsPerSecond === undefined ? {} : { maxTaskQueueActivitiesPerSecond: budget.requestsPerSecond }),
  });
  return {
    worker,
    requestWorker,
    sinks,
    async run() {
      try {
        await Promise.all([worker.run(), requestWorker.run()]);
      } finally {
        await sinks.close();
      }
    },
    shutdown: () => {
      worker.shutdown();
      requestWorker.shutdown();
    },
  };
}

/** `lms-export worker`: connect, poll the task queue until SIGINT/SIGTERM (the SDK handles both). */
export async function runWorkerProcess(): Promise<void> {
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  try {
    const exportWorker = await createExportWorker({ connection });
    console.log(`lms-export worker polling task queue "${defaultTaskQueue()}" on ${temporalAddress()} (${temporalNamespace()})`);
    await exportWorker.run();
  } finally {
    await connection.close();
  }
}
