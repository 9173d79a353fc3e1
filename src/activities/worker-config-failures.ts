import { hostname } from 'node:os';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { SINK_MISCONFIGURED } from '../sinks/sink-errors';
import { PRIVACY_KEY_MISSING } from './privacy-rules';
import { FailureType } from '../failures';

/** Failures that say this worker's own setup is wrong (an unset variable, a sink path it cannot use). */
const WORKER_CONFIG_FAILURES = new Set([FailureType.AuthMissing, SINK_MISCONFIGURED, PRIVACY_KEY_MISSING]);

/** The SDK's default worker identity, which our workers keep: what the Web UI shows for each attempt. */
export function workerIdentity(): string {
  return `${process.pid}@${hostname()}`;
}

/**
 * Names the worker in a failure caused by its own configuration: with several workers, only some of which lack
 * a variable or a folder, the operator learns which machine to fix. Such failures are final (non-retryable), so
 * the run fails at once with the name in its error.
 */
export const namedWorkerConfigFailures: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (error) {
        if (!(error instanceof ApplicationFailure) || !error.nonRetryable || !WORKER_CONFIG_FAILURES.has(error.type ?? '')) throw error;
        throw ApplicationFailure.create({ message: `${error.message} (worker ${workerIdentity()})`, type: error.type ?? undefined, nonRetryable: true, details: error.details ?? undefined, cause: error.cause });
      }
    },
  },
});
