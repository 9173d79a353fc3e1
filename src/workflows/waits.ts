import type { AttemptLog } from '../activities/attempt-log';

/** Everything a traversal waited on so far: retries by cause, throttled answers, time told to wait. */
export type Waits = AttemptLog;

export const NO_WAITS: Waits = { retries: {}, throttled: 0, waitedMs: 0 };

export function addWaits(total: Waits, page: Waits | undefined): Waits {
  if (page === undefined) return total;
  const retries = { ...total.retries };
  for (const [cause, count] of Object.entries(page.retries)) retries[cause] = (retries[cause] ?? 0) + count;
  return { retries, throttled: total.throttled + page.throttled, waitedMs: total.waitedMs + page.waitedMs };
}
