import { currentContext } from './activity-context';

/**
 * Paces requests to a source that reports a leaky-bucket throttle (Canvas: `X-Rate-Limit-Remaining`,
 * `X-Request-Cost`), so an export runs at the bucket's sustainable rate instead of running into it. While the
 * last reported remainder (plus what has leaked since) stays above a reserve, requests go out at once; below
 * it, they wait in turn for the deficit to leak away. One pacer per worker process, shared by every activity
 * in it.
 *
 * Canvas holds 50 units of the bucket for every request while it runs. A reading already holds them for the
 * requests that had reached the server when it was written, so the reserve grows by 50 only for each request
 * this pacer let go after that and has not seen answered: however many run at once (a fan-out's parents, several
 * workers in one process), each leaves only when the bucket has room for it and for every one still unseen, and
 * requests waiting together leave one by one, each answer waking the next. A lone request meets the fixed
 * reserve, as before: nothing else in flight adds to it.
 *
 * A header is the server's word, not an order: readings are clamped into the bucket (0..highWater), and no
 * request waits longer than the whole bucket takes to leak; an answer that asked for longer is reported, not
 * obeyed.
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

/** Units kept free whatever is in flight: room for requests this process cannot see (other workers on the token) and a margin. */
export const RESERVE_UNITS = 300;

/** What Canvas holds of the bucket for each request while it runs. */
export const UPFRONT_UNITS = 50;

/**
 * A request that left this shortly before an answer arrived may not have reached the server when that answer's
 * reading was written (a network round trip, the event loop's lag): it is still counted as unseen.
 */
export const READING_LAG_MS = 100;

/** Time as the pacer sees it: the wall clock, or a simulated one. */
export interface PacerClock {
  now(): number;
  /** Calls `wake` after `ms`; the function returned cancels it. */
  after(ms: number, wake: () => void): () => void;
}

const WALL_CLOCK: PacerClock = {
  now: () => Date.now(),
  after: (ms, wake) => {
    const timer = setTimeout(wake, ms);
    return () => clearTimeout(timer);
  },
};

/** A request the pacer let go; `done()` once it is answered or has failed, so it no longer holds room. */
export interface PacedRequest {
  done(): void;
}

interface Waiter {
  bucket: BucketShape;
  since: number;
  go(request: PacedRequest): void;
}

interface OriginState {
  reading: BucketReading | undefined;
  /** An answer came without a reading and none has had one: a source with no bucket, never held. */
  unmetered: boolean;
  /** When each request let go and not yet done left. */
  inFlight: Set<{ leftAt: number }>;
  waiting: Waiter[];
  cancelTimer: (() => void) | undefined;
}

const clamp = (value: number, low: number, high: number): number => Math.min(high, Math.max(low, value));

/** How long an empty bucket takes to leak completely: no reading can ask for a longer wait. */
export function longestPaceMs(bucket: BucketShape): number {
  return Math.ceil((bucket.highWater / bucket.leakPerSecond) * 1000);
}

/** The fixed part of the reserve, for a request that has nothing else in flight beside it. */
function fixedReserve(cost: number): number {
  return RESERVE_UNITS + 4 * cost;
}

/** The wait a reading would ask for if taken at its word. */
function askedMs(remaining: number, cost: number, bucket: BucketShape): number {
  const reserve = fixedReserve(cost);
  return remaining >= reserve ? 0 : Math.ceil(((reserve - remaining) / bucket.leakPerSecond) * 1000);
}

export class Pacer {
  private readonly origins = new Map<string, OriginState>();

  constructor(private readonly clock: PacerClock = WALL_CLOCK) {}

  /** Milliseconds the next request to `origin` would wait: never more than the whole bucket takes to leak. */
  delayMs(origin: string, bucket: BucketShape, now: number = this.clock.now()): number {
    const state = this.origins.get(origin);
    return state === undefined ? 0 : Math.min(this.deficitMs(state, bucket, now), longestPaceMs(bucket));
  }

  /**
   * Records what a response said about the bucket, clamped into it, and lets waiting requests reconsider.
   * Returns a warning when the headers as sent would have held requests longer than the whole bucket takes to
   * leak (`X-Rate-Limit-Remaining: -100000`).
   */
  observe(origin: string, headers: Record<string, string>, bucket: BucketShape, now: number = this.clock.now()): string | undefined {
    const state = this.stateOf(origin);
    const rawRemaining = headers['x-rate-limit-remaining'];
    const remaining = Number(rawRemaining);
    if (rawRemaining === undefined || rawRemaining.trim() === '' || !Number.isFinite(remaining)) {
      if (state.reading === undefined && !state.unmetered) {
        state.unmetered = true;
        this.release(state);
      }
      return undefined;
    }
    const rawCost = headers['x-request-cost'];
    const cost = rawCost === undefined || rawCost.trim() === '' ? 0 : Number(rawCost);
    state.reading = { remaining: clamp(remaining, 0, bucket.highWater), cost: Number.isFinite(cost) ? clamp(cost, 0, bucket.highWater) : 0, at: now };
    this.release(state);
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
   * Resolves when this request may leave, in turn with the others waiting for `origin`; the request then holds
   * its room until `done()` (inside an activity the wait is cancellable).
   */
  wait(origin: string, bucket: BucketShape): Promise<PacedRequest> {
    const state = this.stateOf(origin);
    const signal = currentContext()?.cancellationSignal;
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) return reject(signal.reason);
      const cancel = (): void => {
        state.waiting = state.waiting.filter((w) => w !== waiter);
        reject(signal?.reason);
        this.release(state);
      };
      const waiter: Waiter = {
        bucket,
        since: this.clock.now(),
        go: (request) => {
          signal?.removeEventListener('abort', cancel);
          resolve(request);
        },
      };
      signal?.addEventListener('abort', cancel, { once: true });
      state.waiting.push(waiter);
      this.release(state);
    });
  }

  private stateOf(origin: string): OriginState {
    let state = this.origins.get(origin);
    if (state === undefined) {
      state = { reading: undefined, unmetered: false, inFlight: new Set(), waiting: [], cancelTimer: undefined };
      this.origins.set(origin, state);
    }
    return state;
  }

  /** How long until the bucket has room for the next request beside those in flight (may exceed the longest pace). */
  private deficitMs(state: OriginState, bucket: BucketShape, now: number): number {
    if (state.reading === undefined && state.unmetered) return 0;
    // Before the first reading, the bucket is taken to be empty: a burst at start sends no more than it holds.
    const reading = state.reading ?? { remaining: bucket.highWater, cost: 0, at: now };
    const available = Math.min(bucket.highWater, reading.remaining + ((now - reading.at) / 1000) * bucket.leakPerSecond);
    const seenUntil = state.reading === undefined ? -Infinity : reading.at - READING_LAG_MS;
    let unseen = 0;
    for (const request of state.inFlight) if (request.leftAt > seenUntil) unseen += 1;
    // A request costing more than its upfront units will take the difference when it is charged, seen or not.
    const reserve = Math.min(bucket.highWater, fixedReserve(reading.cost)) + UPFRONT_UNITS * unseen + Math.max(0, reading.cost - UPFRONT_UNITS) * state.inFlight.size;
    return available >= reserve ? 0 : Math.ceil(((reserve - available) / bucket.leakPerSecond) * 1000);
  }

  /** Lets waiting requests leave in turn while there is room (or they have waited as long as the bucket takes to leak), then sleeps until the next could. */
  private release(state: OriginState): void {
    state.cancelTimer?.();
    state.cancelTimer = undefined;
    for (let head = state.waiting[0]; head !== undefined; head = state.waiting[0]) {
      const now = this.clock.now();
      const bound = longestPaceMs(head.bucket) - (now - head.since);
      const ms = this.deficitMs(state, head.bucket, now);
      if (ms > 0 && bound > 0) {
        state.cancelTimer = this.clock.after(Math.min(ms, bound), () => this.release(state));
        return;
      }
      state.waiting.shift();
      head.go(this.leave(state, now));
    }
  }

  private leave(state: OriginState, now: number): PacedRequest {
    const request = { leftAt: now };
    state.inFlight.add(request);
    return {
      done: () => {
        if (state.inFlight.delete(request)) this.release(state);
      },
    };
  }
}

export const pacer = new Pacer();
