import { join } from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { SinkPool } from '../sinks/open-sink';
import { taskQueue as defaultTaskQueue, temporalAddress, temporalNamespace } from './settings';

export const WORKFLOWS_PATH = join(__dirname, '..', 'workflows', 'index.ts');

export interface ExportWorker {
  worker: Worker;
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
}

export async function createExportWorker(options: ExportWorkerOptions): Promise<ExportWorker> {
  const sinks = new SinkPool();
  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? temporalNamespace(),
    taskQueue: options.taskQueue ?? defaultTaskQueue(),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({ sinks }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 20,
  });
  return {
    worker,
    sinks,
    async run() {
      try {
        await worker.run();
      } finally {
        await sinks.close();
      }
    },
    shutdown: () => worker.shutdown(),
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
