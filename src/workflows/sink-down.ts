import { ActivityFailure, ApplicationFailure, patched, sleep } from '@temporalio/workflow';
import { PATCHES } from './patches';

/** The sink's own failure types (sinks/sink-errors.ts, sinks/sink-busy.ts): the sink is down, not the source. */
const SINK_DOWN = new Set(['SinkUnavailable', 'SinkBusyError']);

/** An activity that ran out of attempts because the sink was down (refused connections, a file held by another process). */
export function sinkDown(error: unknown): error is ActivityFailure {
  return error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && !error.cause.nonRetryable && SINK_DOWN.has(error.cause.type ?? '');
}

/** The first wait between rounds of attempts while the sink is down; it doubles up to the longest. */
const FIRST_WAIT_MS = 5_000;
/** The longest wait between rounds: a sink down for a week adds a few thousand events to the history, not more. */
const LONGEST_WAIT_MS = 5 * 60_000;

/**
 * Calls `attempt` (an activity with its own retries) again for as long as it fails because the sink is down,
 * with a durable, doubling wait between rounds; any other failure stands. There is no limit: the sink holds the
 * page's staged rows and is expected back, and until it is, nothing else of the traversal can be stored either.
 * Runs recorded before this waited fail as they did (the patch marker is written only on a sink-down failure).
 */
export async function retryWhileSinkDown<T>(attempt: () => Promise<T>, onSinkDown: (message: string) => void): Promise<T> {
  for (let round = 0; ; round++) {
    try {
      return await attempt();
    } catch (error) {
      if (!sinkDown(error) || !patched(PATCHES.persistWaitsOutSinkDown.id)) throw error;
      onSinkDown(error.cause?.message ?? error.message);
      await sleep(Math.min(LONGEST_WAIT_MS, FIRST_WAIT_MS * 2 ** round));
    }
  }
}
