/**
 * Riding out a Temporal server that goes away while a client waits on it (a restart, a failover, a network
 * blip). The run itself is durable on the server and goes on; only the client's call broke. So a call that
 * failed because the server could not be reached is tried again, with backoff, until the server answers or
 * the bound passes.
 */

/** How long a client keeps trying to reach a server that went away before it gives up. */
export const RECONNECT_BOUND_MS = 10 * 60 * 1000;

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;

/** The gRPC status codes of a server that cannot be reached (not one that answered with an error): UNAVAILABLE, DEADLINE_EXCEEDED. */
const UNREACHABLE = new Set<number>([14, 4]);

/** Whether an error, or one it wraps (the SDK's ServiceError wraps the gRPC error), means the server is unreachable. */
export function isServerUnreachable(error: unknown): boolean {
  for (let at = error as { code?: unknown; message?: string; cause?: unknown } | undefined; at !== undefined && at !== null; at = at.cause as typeof at) {
    if (typeof at.code === 'number' && UNREACHABLE.has(at.code)) return true;
    if (typeof at.code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(at.code)) return true;
    // grpc-js gives up waiting for a channel that cannot connect with a plain Error and no code.
    if (typeof at.message === 'string' && /Failed to connect before the deadline|No connection established/.test(at.message)) return true;
  }
  return false;
}

export interface ReconnectOptions {
  /** The server's address, for the messages. */
  address: string;
  /** A cheap call that succeeds once the server answers again (the waited-on call may take much longer). */
  probe: () => Promise<unknown>;
  boundMs?: number;
  /** Where the two lines go (stderr by default): one when the server is lost, one when it answers again. */
  log?: (line: string) => void;
}

/** Runs `call` until it settles with anything but an unreachable server; while unreachable, probes for up to the bound. */
export async function withReconnect<T>(call: () => Promise<T>, options: ReconnectOptions): Promise<T> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const boundMs = options.boundMs ?? RECONNECT_BOUND_MS;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!isServerUnreachable(error)) throw error;
    }
    log(`lost the Temporal server at ${options.address}; reconnecting…`);
    const lostAt = Date.now();
    for (let delay = FIRST_DELAY_MS; ; delay = Math.min(delay * 2, MAX_DELAY_MS)) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        await options.probe();
        break;
      } catch (error) {
        if (!isServerUnreachable(error)) break;
        if (Date.now() - lostAt > boundMs) {
          throw new Error(`the Temporal server at ${options.address} has not answered for ${boundMs / 1000} s; the run goes on there: check the server, then lms-export status <run>`, { cause: error });
        }
      }
    }
    log('reconnected');
  }
}
