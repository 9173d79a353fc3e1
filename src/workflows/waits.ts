import type { AttemptLog } from '../activities/attempt-log';

/**
 * Everything a traversal lost time to, so its wall time is accounted for: retries by cause and throttled answers,
 * and the milliseconds spent waiting on servers' word (Retry-After, reset headers), backing off after failures,
 * in requests that failed, paused by an operator, and with the circuit open. The rest is work: requests answered,
 * staging, storing. Fields after `waitedMs` are absent in reports written before they existed.
 */
export interface Waits extends AttemptLog {
  pausedMs?: number;
  circuitOpenMs?: number;
}

export const NO_WAITS: Waits = { retries: {}, throttled: 0, waitedMs: 0, serverWaitMs: 0, backoffMs: 0, failedRequestMs: 0, pausedMs: 0, circuitOpenMs: 0 };

const TIMES = ['waitedMs', 'serverWaitMs', 'backoffMs', 'failedRequestMs', 'pausedMs', 'circuitOpenMs'] as const;

export function addWaits(total: Waits, more: Waits | undefined): Waits {
  if (more === undefined) return total;
  const retries = { ...total.retries };
  for (const [cause, count] of Object.entries(more.retries)) retries[cause] = (retries[cause] ?? 0) + count;
  const sum: Waits = { retries, throttled: total.throttled + more.throttled, waitedMs: 0 };
  for (const field of TIMES) sum[field] = (total[field] ?? 0) + (more[field] ?? 0);
  return sum;
}

/** The time lost, by cause, in the order an operator reads it (report, progress). */
export function lostTime(waits: Waits): Array<[string, number]> {
  return [
    ['server-directed waits', waits.serverWaitMs ?? 0],
    ['backoff after failures', waits.backoffMs ?? 0],
    ['failed requests', waits.failedRequestMs ?? 0],
    ['paused', waits.pausedMs ?? 0],
    ['circuit open', waits.circuitOpenMs ?? 0],
  ];
}
