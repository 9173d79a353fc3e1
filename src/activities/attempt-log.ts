import type { Context } from '@temporalio/activity';
import { currentContext } from './activity-context';

/**
 * What the earlier attempts at one page went through: failures by cause, throttled answers, and how long the
 * retries were told to wait. Each failing attempt heartbeats the log before it fails, so the next attempt (maybe
 * on another worker) reads it back and the attempt that succeeds reports it to the workflow. Notices (a rate-limit
 * header out of range, say) are counted by cause beside the retries, so they reach the report the same way.
 */
export interface AttemptLog {
  retries: Record<string, number>;
  throttled: number;
  waitedMs: number;
}

export const EMPTY_LOG: AttemptLog = { retries: {}, throttled: 0, waitedMs: 0 };

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

function note(cause: string, waitMs: number): void {
  const context = currentContext();
  if (context === undefined) return; // outside an activity (a plain loop calling the same code): nothing to carry
  const prior = priorAttempts();
  const log: AttemptLog = {
    retries: { ...prior.retries, [cause]: (prior.retries[cause] ?? 0) + 1 },
    throttled: prior.throttled + (cause === 'Throttled' ? 1 : 0),
    waitedMs: prior.waitedMs + waitMs,
  };
  logs.set(context, log);
  context.heartbeat(log);
}

/** Notes this attempt's failure (and the wait before the next) where the next attempt will find it. */
export function noteFailure(cause: string, waitMs: number): void {
  note(cause, waitMs);
}

/** Notes something this attempt put up with instead of failing, counted by cause like a retry. */
export function noteNotice(cause: string): void {
  note(cause, 0);
}

/** Tells the server this attempt is alive (and hears of its cancellation), keeping the log as it stands. */
export function heartbeatAttempt(): void {
  currentContext()?.heartbeat(priorAttempts());
}
