import { Context } from '@temporalio/activity';

const FIRST_RETRY_MS = 1_000;
const LONGEST_RETRY_MS = 60_000;

/** This attempt's number (1 for the first), or 1 outside an activity (a plain loop calling the same code). */
export function attemptNumber(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/**
 * Exponential backoff with jitter: 1 s, 2 s, 4 s … capped at a minute, each drawn from the upper half of its
 * step, so workers that failed together do not retry together. `random` is injectable for tests.
 */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + (random() * step) / 2);
}
