import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BucketShape, PacerClock } from '../../src/activities/pacer';
import { LeakyBucket } from '../../src/simulator/leaky-bucket';
import { seededRandom } from '../../src/simulator/dataset';

/**
 * Requesters that share one pacer against the simulator's Canvas bucket, on virtual time: what a fan-out's
 * concurrent fetches do to the bucket, minutes of it in a fraction of a second and the same every run.
 */

/** Virtual time: the earliest timer fires once every promise the last one set going has settled. */
export class VirtualClock implements PacerClock {
  private time = 0;
  private created = 0;
  private timers: Array<{ at: number; order: number; wake: () => void; cancelled: boolean }> = [];

  now = (): number => this.time;

  after = (ms: number, wake: () => void): (() => void) => {
    const timer = { at: this.time + Math.max(0, ms), order: this.created++, wake, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  };

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  /** Fires timers in order until none is left. */
  async runOut(): Promise<void> {
    for (;;) {
      await nextTurn();
      this.timers = this.timers.filter((t) => !t.cancelled).sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.timers.shift();
      if (next === undefined) return;
      this.time = next.at;
      next.wake();
    }
  }
}

/** What the requesters need of a pacer: the one under test, or a reference to compare it with. */
export interface PacerUnderTest {
  wait(origin: string, bucket: BucketShape): Promise<{ done(): void }>;
  observe(origin: string, headers: Record<string, string>, bucket: BucketShape): unknown;
}

export interface CanvasBucket {
  highWater: number;
  upfront: number;
  leakPerSecond: number;
  cost: number;
}

export interface RequestersRun {
  /** Virtual ms at which each admitted request was answered. */
  answeredAt: number[];
  throttled: number;
  /** Requests the bucket was holding upfront units for at once, at most. */
  peakAtServer: number;
}

const ORIGIN = 'https://canvas.example';
/** A throttled requester retries after this, as an activity's backoff would. */
const RETRY_AFTER_THROTTLE_MS = 1_000;

export interface RequestersOptions {
  count: number;
  latencyMs: number;
  /** Each answer takes latencyMs × (1 ± this), drawn from a seeded generator. */
  latencySpread?: number;
  /** Between an answer and the next request, up to this long (the workflow scheduling the next activity). */
  pauseMs?: number;
  seed?: number;
  bucket: CanvasBucket;
  seconds: number;
  pacer: (clock: VirtualClock) => PacerUnderTest;
}

/**
 * `count` requesters, each sending one request after another for `seconds` of virtual time: every request is
 * paced, reserves the bucket's upfront units on arrival (or is throttled if the bucket cannot take them), is
 * answered `latencyMs` later and charged its cost then, and the answer's headers go back to the pacer.
 */
export async function runRequesters(options: RequestersOptions): Promise<RequestersRun> {
  const clock = new VirtualClock();
  const random = seededRandom(options.seed ?? 1);
  const spread = options.latencySpread ?? 0;
  const latency = (): number => options.latencyMs * (1 - spread + 2 * spread * random());
  const pause = (): number => (options.pauseMs ?? 0) * random();
  const bucket = new LeakyBucket(options.bucket, clock.now);
  const shape = { leakPerSecond: options.bucket.leakPerSecond, highWater: options.bucket.highWater };
  const pacer = options.pacer(clock);
  const run: RequestersRun = { answeredAt: [], throttled: 0, peakAtServer: 0 };
  let atServer = 0;
  const requester = async (): Promise<void> => {
    while (clock.now() < options.seconds * 1000) {
      const paced = await pacer.wait(ORIGIN, shape);
      const admitted = bucket.admit();
      if (admitted) run.peakAtServer = Math.max(run.peakAtServer, ++atServer);
      await clock.sleep(latency());
      const headers = admitted ? bucket.settle() : bucket.headers();
      if (admitted) atServer -= 1;
      paced.done();
      pacer.observe(ORIGIN, headers, shape);
      if (admitted) {
        run.answeredAt.push(clock.now());
      } else {
        run.throttled += 1;
        await clock.sleep(RETRY_AFTER_THROTTLE_MS);
      }
      await clock.sleep(pause());
    }
  };
  let finished = 0;
  const requesters = Array.from({ length: options.count }, () => requester().finally(() => (finished += 1)));
  await clock.runOut();
  // With no timer left, a requester still waiting would wait forever: the pacer lost track of it.
  if (finished < options.count) throw new Error(`${options.count - finished} of ${options.count} requesters still waiting when nothing was left to wake them`);
  await Promise.all(requesters);
  return run;
}

/** Requests answered per second between `fromSeconds` and `toSeconds` of virtual time. */
export function rateBetween(run: RequestersRun, fromSeconds: number, toSeconds: number): number {
  return run.answeredAt.filter((at) => at > fromSeconds * 1000 && at <= toSeconds * 1000).length / (toSeconds - fromSeconds);
}
