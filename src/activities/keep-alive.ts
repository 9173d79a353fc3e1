import { currentContext } from './activity-context';
import { heartbeatAttempt } from './attempt-log';

/** Heartbeats per heartbeat timeout: one late tick (a busy event loop, a slow heartbeat call) is not yet a timeout. */
const HEARTBEATS_PER_TIMEOUT = 3;

type Activity = (...args: never[]) => Promise<unknown>;

/**
 * `activity`, heartbeating every third of its attempt's heartbeat timeout while it runs, so that the server
 * notices a worker that died mid-attempt within that timeout (seconds) and retries the attempt on another worker,
 * instead of waiting out the start-to-close timeout. Each heartbeat re-sends the attempt log as it stands
 * (attempt-log.ts), the only thing our activities keep in their heartbeat details, so the next attempt still
 * reads what the earlier ones went through. An attempt quicker than a third of the timeout never heartbeats.
 */
export function keptAlive<A extends Activity>(activity: A): A {
  const heartbeating = async (...args: Parameters<A>): Promise<Awaited<ReturnType<A>>> => {
    const timeoutMs = currentContext()?.info.heartbeatTimeoutMs ?? 0;
    if (!(timeoutMs > 0)) return (await activity(...args)) as Awaited<ReturnType<A>>;
    const timer = setInterval(heartbeatAttempt, timeoutMs / HEARTBEATS_PER_TIMEOUT);
    try {
      return (await activity(...args)) as Awaited<ReturnType<A>>;
    } finally {
      clearInterval(timer);
    }
  };
  return heartbeating as A;
}

/** Every activity of a worker's set, kept alive (see `keptAlive`): none can outlive its worker by more than a heartbeat timeout. */
export function allKeptAlive<T extends Record<string, Activity>>(activities: T): T {
  return Object.fromEntries(Object.entries(activities).map(([name, activity]) => [name, keptAlive(activity)])) as T;
}
