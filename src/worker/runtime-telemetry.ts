import { Runtime, type TelemetryOptions } from '@temporalio/worker';
import { logLine } from './log-line';
import { RuntimeLogger } from './runtime-logger';
import { logFormat, logLevel, metricsBindAddress } from '../client/settings';

/** Buckets for our waits, in seconds: from a quick backoff to the longest server-directed wait obeyed by default (15 min). */
const WAIT_SECONDS_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900];

/**
 * Prometheus at `bindAddress`: the SDK's own worker metrics (`temporal_…`: task slots, poll and schedule-to-start
 * latencies, in milliseconds) and ours (`lms_export_…`, emitted by activities and workflows through the SDK's
 * metric meters).
 */
export function prometheusTelemetry(bindAddress: string): TelemetryOptions['metrics'] {
  return { prometheus: { bindAddress, histogramBucketOverrides: { lms_export_wait_seconds: WAIT_SECONDS_BUCKETS } } };
}

/**
 * Sets up the process's Temporal runtime, once, before any worker: everything the SDK logs (workers, bundler,
 * activities, workflows) as lines on stderr at LMS_EXPORT_LOG_LEVEL in LMS_EXPORT_LOG_FORMAT, and a metrics
 * endpoint when LMS_EXPORT_METRICS_PORT is set. A bad setting fails here, naming its variable.
 */
export function installRuntime(env: NodeJS.ProcessEnv = process.env): void {
  const level = logLevel(env);
  const format = logFormat(env);
  const bindAddress = metricsBindAddress(env);
  const logger = new RuntimeLogger(level, (entry) => process.stderr.write(`${logLine(entry, format)}\n`));
  try {
    Runtime.install({ logger, ...(bindAddress === undefined ? {} : { telemetryOptions: { metrics: prometheusTelemetry(bindAddress) } }) });
  } catch (error) {
    if (bindAddress === undefined) throw error;
    throw new Error(`LMS_EXPORT_METRICS_PORT: cannot serve metrics on ${bindAddress}: ${(error as Error).message}`);
  }
}
