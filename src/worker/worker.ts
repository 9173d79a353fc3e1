import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { scopedActivities } from '../activities/activity-scope';
import { namedWorkerConfigFailures } from '../activities/worker-config-failures';
import { dataConverterOption, ENCRYPTED_FAILURE_CONVERTER_PATH } from '../codec/data-converter';
import { encryptionKeysFromEnv, ENCRYPTION_KEY_ENV, type EncryptionKeys } from '../codec/encryption-keys';
import { SinkPool } from '../sinks/open-sink';
import { requestCeiling, shutdownGraceSeconds, taskQueue as defaultTaskQueue, temporalAddress, temporalNamespace, type RequestCeiling } from '../client/settings';
import { reclaimAttemptsOfDeadWorkers, workerIdentity } from './reclaim-attempts';
import { installRuntime } from './runtime-telemetry';
import { temporalConnectionOptions } from '../client/temporal-connection';
import { SourceQueuePollers, type SharedWorkerOptions, type WorkerShutdownOptions } from './source-queue-pollers';
import { cachedWorkflowBundle, describeWorkflowCode, workflowBundleOption } from './workflow-bundle';

export { WORKFLOWS_PATH } from './workflow-bundle';

/** After the grace, how long an activity that ignores its cancellation may hold a stopping worker before it gives up. */
const FORCE_AFTER_GRACE_MS = 10_000;

/**
 * How long a workflow task waits for the worker that has the run cached before any worker may take it (the SDK's
 * default is 10 s). When that worker was killed, this is what the run loses before a new worker replays it; a
 * live worker picks its sticky tasks up in milliseconds, so a second is generous, and a task that waits longer
 * still runs, only on a worker that replays the history first.
 */
const STICKY_QUEUE_SCHEDULE_TO_START_TIMEOUT = '1s';

/**
 * The longest a worker holds back an activity's heartbeat (the SDK's default sends at most one per 0.8 heartbeat
 * timeouts, which leaves a short timeout a fifth of itself as slack). Our activities heartbeat three times per
 * timeout (activities/keep-alive.ts); letting each through keeps a late one from timing a live attempt out.
 */
const MAX_HEARTBEAT_THROTTLE_INTERVAL = '300ms';


/**
 * How every worker of the process stops: running activities get the grace to finish, then they are cancelled
 * (which aborts their page requests; the server retries them elsewhere). Should one ignore the cancellation,
 * the worker gives up on it a little later and `run()` fails, so the process still exits.
 */
export function workerShutdownOptions(graceSeconds: number): WorkerShutdownOptions {
  const graceMs = Math.round(graceSeconds * 1000);
  return { shutdownGraceTime: graceMs, shutdownForceTime: graceMs + FORCE_AFTER_GRACE_MS };
}

export interface ExportWorker {
  worker: Worker;
  /** Page requests, each source on its own queue within that source's budget. */
  sourceQueues: SourceQueuePollers;
  sinks: SinkPool;
  /** Runs until `shutdown()` (or a signal), then closes the sinks it opened. */
  run(): Promise<void>;
  shutdown(): void;
}

export interface ExportWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /**
   * A pre-built bundle; otherwise the cached bundle of the current sources (workflow-bundle.ts), built if missing.
   * With encryption keys, it must be built with the encrypted failure converter (ENCRYPTED_FAILURE_CONVERTER_PATH).
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Payload encryption keys; default from LMS_EXPORT_ENCRYPTION_KEY(S), none when unset (codec/encryption-keys.ts). */
  encryptionKeys?: EncryptionKeys;
  maxConcurrentActivityTaskExecutions?: number;
  /** Defaults to the environment's (LMS_EXPORT_REQUESTS_PER_SECOND, LMS_EXPORT_CONCURRENT_REQUESTS). */
  requestCeiling?: RequestCeiling;
  discoveryIntervalMs?: number;
  /** How long an idle DuckDB sink file stays open (default LMS_EXPORT_DUCKDB_IDLE_RELEASE_MS, else 3 s). */
  duckDbIdleReleaseMs?: number;
  /** Told where the workflow code came from, and of each source queue this worker starts polling. */
  log?: (line: string) => void;
  /** How long running activities may finish after shutdown is asked (default LMS_EXPORT_SHUTDOWN_GRACE_SECONDS, else 5 s). */
  shutdownGraceSeconds?: number;
}

export async function createExportWorker(options: ExportWorkerOptions): Promise<ExportWorker> {
  const keys = 'encryptionKeys' in options ? options.encryptionKeys : encryptionKeysFromEnv();
  const converter = dataConverterOption(keys);
  const sinks = new SinkPool({ duckDbIdleReleaseMs: options.duckDbIdleReleaseMs });
  const activities = createActivities({ sinks });
  const namespace = options.namespace ?? temporalNamespace();
  const taskQueue = options.taskQueue ?? defaultTaskQueue();
  const ceiling = options.requestCeiling ?? requestCeiling();
  const identity = workerIdentity();
  const shared: SharedWorkerOptions = {
    ...workerShutdownOptions(options.shutdownGraceSeconds ?? shutdownGraceSeconds()),
    maxHeartbeatThrottleInterval: MAX_HEARTBEAT_THROTTLE_INTERVAL,
    identity,
  };
  const interceptors = { activity: [scopedActivities, namedWorkerConfigFailures] };
  const sourceQueues = new SourceQueuePollers({
    connection: options.connection,
    namespace,
    taskQueue,
    fetchPage: activities.fetchPage,
    ceiling,
    discoveryIntervalMs: options.discoveryIntervalMs,
    log: options.log,
    shared,
    ...converter,
  });
  // Page requests are polled for while the workflow side starts (its sandbox thread takes about half a second):
  // a page whose worker was killed is retried by this one that much sooner.
  const firstDiscovery = sourceQueues.discover().catch(() => undefined);
  // Then what a predecessor killed on this host left mid-attempt is retried now rather than at its heartbeat timeout.
  void firstDiscovery
    .then(() => reclaimAttemptsOfDeadWorkers({ client: sourceQueues.client, taskQueue, processStartedAt: new Date(performance.timeOrigin), identity, log: options.log }))
    .catch((error: Error) => console.warn(`lms-export worker: looking for attempts of stopped workers failed (${error.message})`));
  try {
    const [worker] = await Promise.all([
      (options.workflowBundle === undefined ? workflowCode(options.log, keys !== undefined) : Promise.resolve(options.workflowBundle)).then((workflowBundle) =>
        Worker.create({
          connection: options.connection,
          namespace,
          taskQueue,
          workflowBundle,
          activities,
          ...converter,
          interceptors,
          maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 20,
          stickyQueueScheduleToStartTimeout: STICKY_QUEUE_SCHEDULE_TO_START_TIMEOUT,
          ...shared,
        }),
      ),
      firstDiscovery,
    ]);
    return assembled(worker, sourceQueues, sinks);
  } catch (error) {
    sourceQueues.shutdown();
    await sinks.close();
    throw error;
  }
}

function assembled(worker: Worker, sourceQueues: SourceQueuePollers, sinks: SinkPool): ExportWorker {
  const shutdown = (): void => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    sourceQueues.shutdown();
  };
  return {
    worker,
    sourceQueues,
    sinks,
    async run() {
      try {
        // The SDK stops the main worker on SIGINT/SIGTERM: the request pollers stop with it.
        const main = worker.run().finally(shutdown);
        await Promise.all([main, sourceQueues.run()]);
      } finally {
        await sinks.close();
      }
    },
    shutdown,
  };
}

/** The cached bundle of the workflow sources: no webpack run at start unless the sources changed since the last. */
async function workflowCode(log: ((line: string) => void) | undefined, encrypted: boolean): Promise<WorkerOptions['workflowBundle']> {
  // Webpack's output, when it runs, goes to the process's logger (shown from LMS_EXPORT_LOG_LEVEL=info).
  const code = await cachedWorkflowBundle({ logger: Runtime.instance().logger, ...(encrypted ? { failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH } : {}) });
  const line = `lms-export worker: ${describeWorkflowCode(code)}`;
  if ('notCachedBecause' in code) console.warn(line);
  else log?.(line);
  return workflowBundleOption(code);
}

/**
 * `lms-export worker`: connect, poll the task queue until SIGINT/SIGTERM (the SDK handles both), then let
 * running activities finish within LMS_EXPORT_SHUTDOWN_GRACE_SECONDS, cancel the rest and exit.
 * `codeOrigin` says where the worker's own code came from (bin/prebuilt-code.js), shown at start.
 */
export async function runWorkerProcess(codeOrigin?: string): Promise<void> {
  installRuntime();
  if (codeOrigin !== undefined) console.log(`lms-export worker: ${codeOrigin}`);
  const encryptionKeys = encryptionKeysFromEnv();
  const connection = await NativeConnection.connect(temporalConnectionOptions());
  if (encryptionKeys === undefined) {
    console.warn(`lms-export worker: ${ENCRYPTION_KEY_ENV} is not set, so workflow history (cursors, URLs, paths, errors) is stored unencrypted; see "Encrypted history" in the README`);
  }
  try {
    const exportWorker = await createExportWorker({ connection, encryptionKeys, log: (line) => console.log(line) });
    console.log(`lms-export worker polling task queue "${defaultTaskQueue()}" on ${temporalAddress()} (${temporalNamespace()})`);
    await exportWorker.run();
  } finally {
    await connection.close();
  }
}
