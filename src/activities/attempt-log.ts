import type { Context } from '@temporalio/activity';
import { currentContext } from './activity-context';
import { FailureType } from '../failures';

/**
 * What the earlier attempts at one page went through: failures by cause, throttled answers, and how long the
 * retries were told to wait. Each failing attempt heartbeats the log before it fails, so the next attempt (maybe
 * on another worker) reads it back and the attempt that succeeds reports it to the workflow. Notices (a rate-limit
 * header out of range, say) are counted by cause beside the retries, so they reach the report the same way.
 */
export interface AttemptLog {
  retries: Record<string, number>;
  throttled: number;
  /** All the time retries were told to wait: `serverWaitMs` + `backoffMs`. */
  waitedMs: number;
  /** Of `waitedMs`, what servers asked for (Retry-After, rate-limit reset headers). Absent in logs before the split. */
  serverWaitMs?: number;
  /** Of `waitedMs`, our own backoff after failures. */
  backoffMs?: number;
  /** Time spent in requests that failed before their retry: abandoned on a timeout, cut off, answered with an error. */
  failedRequestMs?: number;
}

export const EMPTY_LOG: AttemptLog = { retries: {}, throttled: 0, waitedMs: 0, serverWaitMs: 0, backoffMs: 0, failedRequestMs: 0 };

/** How long a failed attempt's request ran, and whether the wait before the next one is the server's word. */
export interface FailureTiming {
  requestMs: number;
  serverDirected: boolean;
}

/** The log as this attempt has it so far: the earlier attempts' plus what this one noted. */
const logs = new WeakMap<Context, AttemptLog>();

function priorOf(context: Context): AttemptLog {
  const details = context.info.heartbeatDetails as AttemptLog | undefined;
  return details?.retries !== undefined ? details : EMPTY_LOG;
}

/** What the attempts at this page went through, this one included (empty outside an activity). */
export function priorAttempts(): AttemptLog {
  const context = currentContext();
  if (context === undefined) return EMPTY_LOG;
  return logs.get(context) ?? priorOf(context);
}

function note(cause: string, waitMs: number, timing: FailureTiming = { requestMs: 0, serverDirected: false }): void {
  const context = currentContext();
  if (context === undefined) return; // outside an activity (a plain loop calling the same code): nothing to carry
  const prior = priorAttempts();
  const log: AttemptLog = {
    retries: { ...prior.retries, [cause]: (prior.retries[cause] ?? 0) + 1 },
    throttled: prior.throttled + (cause === FailureType.Throttled ? 1 : 0),
    waitedMs: prior.waitedMs + waitMs,
    serverWaitMs: (prior.serverWaitMs ?? 0) + (timing.serverDirected ? waitMs : 0),
    backoffMs: (prior.backoffMs ?? 0) + (timing.serverDirected ? 0 : waitMs),
    failedRequestMs: (prior.failedRequestMs ?? 0) + timing.requestMs,
  };
  logs.set(context, log);
  context.heartbeat(log);
}

/** Notes this attempt's failure (and the wait before the next) where the next attempt will find it. */
export function noteFailure(cause: string, waitMs: number, timing?: FailureTiming): void {
  note(cause, waitMs, timing);
}

/** Notes something this attempt put up with instead of failing, counted by cause like a retry. */
export function noteNotice(cause: string): void {
  note(cause, 0);
}

/** Tells the server this attempt is alive (and hears of its cancellation), keeping the log as it stands. */
export function heartbeatAttempt(): void {
  currentContext()?.heartbeat(priorAttempts());
}
