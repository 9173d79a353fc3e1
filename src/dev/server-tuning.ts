/**
 * Dynamic config for the Temporal servers lms-export starts itself (the demo's, the tests', the benches') and the
 * one docker-compose.yml runs (docker/temporal-dynamic-config.yaml holds the same values; a unit test keeps the
 * two equal).
 *
 * Why: the history service reads each shard's queues of pending tasks at most `…MaxPollRPS` times a second, 20 by
 * default. A page of an export is a chain of such tasks, each waiting for the one before it (the workflow task
 * after the fetch completes, the fetch's dispatch to the source's request queue, the workflow task after the
 * persist), so at 20 reads a second one workflow's loop waits up to 50 ms at every link: about 70 of the 100 ms a
 * durable page cost on a dev server (docs/benchmarks.md, per-page overhead). A read returns every task pending
 * in the shard, so the limit bounds database queries, not throughput across many workflows; 200 a second keeps
 * that bound while one export no longer waits on it.
 */
export const SERVER_DYNAMIC_CONFIG: Readonly<Record<string, number>> = {
  // Workflow tasks, activities for other task queues, child workflow starts.
  'history.transferProcessorMaxPollRPS': 200,
  // Timers: pacing waits, retry backoff, activity timeouts.
  'history.timerProcessorMaxPollRPS': 200,
  // Memo and search-attribute updates: what the Web UI and `lms-export status` list, and source discovery.
  'history.visibilityProcessorMaxPollRPS': 200,
};

/** `temporal server start-dev` arguments: ours for the keys `extraArgs` leaves unset, then `extraArgs` itself. */
export function withServerTuning(extraArgs: readonly string[] = []): string[] {
  const setByCaller = new Set(extraArgs.filter((_, i) => extraArgs[i - 1] === '--dynamic-config-value').map((value) => value.split('=')[0]));
  const ours = Object.entries(SERVER_DYNAMIC_CONFIG).filter(([key]) => !setByCaller.has(key));
  return [...ours.flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${value}`]), ...extraArgs];
}
