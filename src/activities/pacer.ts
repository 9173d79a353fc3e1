import { currentContext } from './activity-context';

/**
 * Paces requests to a source that reports a leaky-bucket throttle (Canvas: `X-Rate-Limit-Remaining`,
 * `X-Request-Cost`), so an export runs at the bucket's sustainable rate instead of running into it. While the
 * last reported remainder (plus what has leaked since) stays above a reserve, requests go out at once; below
 * it, each waits for the deficit to leak away. The reserve covers the upfront units of the requests in flight
 * together plus a few costs, so concurrent requests never push the bucket over. One pacer per worker process.
 *
 * A header is the server's word, not an order: readings are clamped into the bucket (0..highWater), so no
 * answer can make a wait longer than the whole bucket takes to leak; one that tried is reported, not obeyed.
 */
export interface BucketReading {
  remaining: number;
  cost: number;
  at: number;
}

/** The bucket as the spec describes it (`source.rateLimit`). */
export interface BucketShape {
  leakPerSecond: number;
  highWater: number;
}

/** Units kept free: Canvas reserves 50 per request up front; room for 4 at once, and a margin. */
export const RESERVE_UNITS = 300;

const clamp = (value: number, low: number, high: number): number => Math.min(high, Math.max(low, value));

/** How long an empty bucket takes to leak completely: no reading can ask for a longer wait. */
export function longestPaceMs(bucket: BucketShape): number {
  return Math.ceil((bucket.highWater / bucket.leakPerSecond) * 1000);
}

/** The wait a reading would ask for if taken at its word. */
function askedMs(remaining: number, cost: number, bucket: BucketShape): number {
  const reserve = RESERVE_UNITS + 4 * cost;
  return remaining >= reserve ? 0 : Math.ceil(((reserve - remaining) / bucket.leakPerSecond) * 1000);
}

export class Pacer {
  private readonly readings = new Map<string, BucketReading>();

  /** Milliseconds to wait before the next request to `origin`: never more than the whole bucket takes to leak. */
  delayMs(origin: string, bucket: BucketShape, now: number = Date.now()): number {
    const reading = this.readings.get(origin);
    if (reading === undefined) return 0;
    const reserve = Math.min(bucket.highWater, RESERVE_UNITS + 4 * reading.cost);
    const available = Math.min(bucket.highWater, reading.remaining + ((now - reading.at) / 1000) * bucket.leakPerSecond);
    const wait = available >= reserve ? 0 : Math.ceil(((reserve - available) / bucket.leakPerSecond) * 1000);
    return Math.min(wait, longestPaceMs(bucket));
  }

  /**
   * Records what a response said about the bucket, clamped into it. Returns a warning when the headers as sent
   * would have held requests longer than the whole bucket takes to leak (`X-Rate-Limit-Remaining: -100000`).
   */
  observe(origin: string, headers: Record<string, string>, bucket: BucketShape, now: number = Date.now()): string | undefined {
    const rawRemaining = headers['x-rate-limit-remaining'];
    const remaining = Number(rawRemaining);
    if (rawRemaining === undefined || rawRemaining.trim() === '' || !Number.isFinite(remaining)) return undefined;
    const rawCost = headers['x-request-cost'];
    const cost = rawCost === undefined || rawCost.trim() === '' ? 0 : Number(rawCost);
    const reading = { remaining: clamp(remaining, 0, bucket.highWater), cost: Number.isFinite(cost) ? clamp(cost, 0, bucket.highWater) : 0, at: now };
    this.readings.set(origin, reading);
    const asked = askedMs(remaining, Number.isFinite(cost) ? Math.max(0, cost) : 0, bucket);
    const bound = longestPaceMs(bucket);
    if (asked <= bound) return undefined;
    return (
      `${origin} answered X-Rate-Limit-Remaining: ${rawRemaining}${rawCost === undefined ? '' : `, X-Request-Cost: ${rawCost}`}, which would hold ` +
      `requests for ${Math.round(asked / 1000)} s; pacing at most ${Math.round(bound / 1000)} s (the bucket of ${bucket.highWater} units leaking ` +
      `${bucket.leakPerSecond}/s, source.rateLimit) instead`
    );
  }

  /**
   * Waits out the delay, then books this request's cost against the reading, so requests sent together before
   * the next answer see each other (inside an activity the wait is cancellable).
   */
  async wait(origin: string, bucket: BucketShape): Promise<void> {
    const ms = this.delayMs(origin, bucket);
    const reading = this.readings.get(origin);
    // Our own bookings may take the reading below 0 (requests in flight); the wait stays bounded all the same.
    if (reading !== undefined) reading.remaining -= reading.cost;
    if (ms <= 0) return;
    const context = currentContext();
    await (context ? context.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms)));
  }
}

export const pacer = new Pacer();
