import { Context } from '@temporalio/activity';

/**
 * The running activity's context, or undefined outside one: the same code also runs in plain loops (tests,
 * benchmarks) where there is no attempt to heartbeat, cancel or log against.
 */
export function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** A warning in the activity's log (with its workflow and attempt), or on the console outside an activity. */
export function warn(message: string, attributes: Record<string, unknown>): void {
  const context = currentContext();
  if (context !== undefined) context.log.warn(message, attributes);
  else console.warn(message, attributes);
}
