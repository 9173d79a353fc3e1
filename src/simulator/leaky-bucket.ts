/**
 * Canvas's throttle: a leaky bucket per token. Every request reserves `upfront` units when it starts, is charged
 * its real cost when it ends, and the bucket leaks `leakPerSecond`. A request that would push the level past
 * the high-water mark is refused (403 "Rate Limit Exceeded", or 429 on newer Canvas). Every answer says what it
 * cost (`X-Request-Cost`) and what is left (`X-Rate-Limit-Remaining`). Defaults are Canvas's.
 */
export interface BucketOptions {
  highWater?: number;
  leakPerSecond?: number;
  upfront?: number;
  /** Units a request costs. */
  cost?: number;
  throttleWith?: 403 | 429;
}

export class LeakyBucket {
  readonly highWater: number;
  readonly leakPerSecond: number;
  readonly upfront: number;
  readonly cost: number;
  readonly throttleWith: 403 | 429;
  private level = 0;
  private leakedAt: number;

  /** `now` is the wall clock unless a simulated one is given (unit tests run the bucket on virtual time). */
  constructor(options: BucketOptions = {}, private readonly now: () => number = Date.now) {
    this.highWater = options.highWater ?? 700;
    this.leakPerSecond = options.leakPerSecond ?? 10;
    this.upfront = options.upfront ?? 50;
    this.cost = options.cost ?? 1;
    this.throttleWith = options.throttleWith ?? 403;
    this.leakedAt = now();
  }

  private leak(): void {
    const now = this.now();
    this.level = Math.max(0, this.level - ((now - this.leakedAt) / 1000) * this.leakPerSecond);
    this.leakedAt = now;
  }

  /** Reserves the upfront units, or refuses the request. */
  admit(): boolean {
    this.leak();
    if (this.level + this.upfront > this.highWater) return false;
    this.level += this.upfront;
    return true;
  }

  /** Replaces the reservation with the real cost; returns the headers Canvas sends. */
  settle(): Record<string, string> {
    this.leak();
    this.level = Math.max(0, this.level - this.upfront + this.cost);
    return this.headers();
  }

  headers(): Record<string, string> {
    return { 'x-request-cost': this.cost.toFixed(4), 'x-rate-limit-remaining': Math.max(0, this.highWater - this.level).toFixed(4) };
  }
}
