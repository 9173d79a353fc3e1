import { Context } from '@temporalio/activity';

/**
 * What the earlier attempts at one page went through: failures by cause, throttled answers, and how long the
 * retries were told to wait. Each failing attempt heartbeats the log before it fails, so the next attempt (maybe
 * on another worker) reads it back and the attempt that succeeds reports it to the workflow.
 */
export interface AttemptLog {
  retries: Record<string, number>;
  throttled: number;
  waitedMs: number;
}

export const EMPTY_LOG: AttemptLog = { retries: {}, throttled: 0, waitedMs: 0 };

function context(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // outside an activity (a plain loop calling the same code): nothing to carry
  }
}

export function priorAttempts(): AttemptLog {
  const details = context()?.info.heartbeatDetails as AttemptLog | undefined;
  return details?.retries !== undefined ? details : EMPTY_LOG;
}

/** Notes this attempt's failure (and the wait before the next) where the next attempt will find it. */
export function noteFailure(cause: string, waitMs: number): void {
  const ctx = context();
  if (ctx === undefined) return;
  const prior = priorAttempts();
  ctx.heartbeat({
    retries: { ...prior.retries, [cause]: (prior.retries[cause] ?? 0) + 1 },
    throttled: prior.throttled + (cause === 'Throttled' ? 1 : 0),
    waitedMs: prior.waitedMs + waitMs,
  } satisfies AttemptLog);
}
