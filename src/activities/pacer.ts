import { Context } from '@temporalio/activity';

/**
 * Paces requests to a source that reports a leaky-bucket throttle (Canvas: `X-Rate-Limit-Remaining`,
 * `X-Request-Cost`), so an export runs at the bucket's sustainable rate instead of running into it. While the
 * last reported remainder (plus what has leaked since) stays above a reserve, requests go out at once; below
 * it, each waits for the deficit to leak away. The reserve covers the upfront units of the requests in flight
 * together plus a few costs, so concurrent requests never push the bucket over. One pacer per worker process.
 */
export interface BucketReading {
  remaining: number;
  cost: number;
  at: number;
}

/** Units kept free: Canvas reserves 50 per request up front; room for 4 at once, and a margin. */
export const RESERVE_UNITS = 300;

export class Pacer {
  private readonly readings = new Map<string, BucketReading>();

  /** Milliseconds to wait before the next request to `origin`, leaking `leakPerSecond` units. */
  delayMs(origin: string, leakPerSecond: number, now: number = Date.now()): number {
    const reading = this.readings.get(origin);
    if (reading === undefined) return 0;
    const available = reading.remaining + ((now - reading.at) / 1000) * leakPerSecond;
    const reserve = RESERVE_UNITS + 4 * reading.cost;
    return available >= reserve ? 0 : Math.ceil(((reserve - available) / leakPerSecond) * 1000);
  }

  /** Records what a response said about the bucket. */
  observe(origin: string, headers: Record<string, string>, now: number = Date.now()): void {
    const remaining = Number(headers['x-rate-limit-remaining']);
    if (!Number.isFinite(remaining)) return;
    const cost = Number(headers['x-request-cost']);
    this.readings.set(origin, { remaining, cost: Number.isFinite(cost) ? cost : 0, at: now });
  }

  /**
   * Waits out the delay, then books this request's cost against the reading, so requests sent together before
   * the next answer see each other (inside an activity the wait is cancellable).
   */
  async wait(origin: string, leakPerSecond: number): Promise<void> {
    const ms = this.delayMs(origin, leakPerSecond);
    const reading = this.readings.get(origin);
    if (reading !== undefined) reading.remaining -= reading.cost;
    if (ms <= 0) return;
    let context: Context | undefined;
    try {
      context = Context.current();
    } catch {
      context = undefined;
    }
    await (context ? context.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms)));
  }
}

export const pacer = new Pacer();
