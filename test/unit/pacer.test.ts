import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from '@jest/globals';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { longestPaceMs, Pacer, READING_LAG_MS, RESERVE_UNITS, UPFRONT_UNITS, type BucketShape, type PacedRequest } from '../../src/activities/pacer';
import { LeakyBucket } from '../../src/simulator/leaky-bucket';
import { rateBetween, runRequesters, VirtualClock, type CanvasBucket, type PacerUnderTest } from '../helpers/paced-requesters';

const CANVAS = { leakPerSecond: 10, highWater: 700 };

describe('pacing against a leaky bucket', () => {
  it('sends at once while the bucket has headroom, then waits for the deficit to leak away', () => {
    const pacer = new Pacer();
    assert.equal(pacer.delayMs('https://c', CANVAS, 0), 0, 'nothing known yet');
    pacer.observe('https://c', { 'x-rate-limit-remaining': '650.0', 'x-request-cost': '2.5' }, CANVAS, 0);
    assert.equal(pacer.delayMs('https://c', CANVAS, 0), 0);
    pacer.observe('https://c', { 'x-rate-limit-remaining': '200', 'x-request-cost': '5' }, CANVAS, 0);
    const reserve = RESERVE_UNITS + 4 * 5;
    assert.equal(pacer.delayMs('https://c', CANVAS, 0), ((reserve - 200) / 10) * 1000);
    assert.equal(pacer.delayMs('https://c', CANVAS, 5_000), ((reserve - 250) / 10) * 1000, 'what leaked meanwhile counts');
    assert.equal(pacer.delayMs('https://other', CANVAS, 0), 0, 'per origin');
  });

  it('ignores sources that report no bucket', () => {
    const pacer = new Pacer();
    pacer.observe('https://x', { 'content-type': 'application/json' }, CANVAS, 0);
    assert.equal(pacer.delayMs('https://x', CANVAS, 0), 0);
  });

  it('clamps a hostile X-Rate-Limit-Remaining into the bucket, reports it, and waits no longer than the bucket takes to leak', () => {
    const pacer = new Pacer();
    const warning = pacer.observe('https://c', { 'x-rate-limit-remaining': '-100000', 'x-request-cost': '1' }, CANVAS, 0);
    assert.match(warning ?? '', /https:\/\/c answered X-Rate-Limit-Remaining: -100000.*would hold requests for 10030 s; pacing at most 70 s/);
    assert.equal(longestPaceMs(CANVAS), 70_000, '700 units at 10/s');
    assert.equal(pacer.delayMs('https://c', CANVAS, 0), ((RESERVE_UNITS + 4) / 10) * 1000, 'paced as an empty bucket, not 100000 units in debt');
    assert.equal(pacer.delayMs('https://c', CANVAS, 31_000), 0, 'the reserve has leaked back after 31 s');
  });

  it('bounds a wait asked by an absurd X-Request-Cost, and reports it', () => {
    const pacer = new Pacer();
    const warning = pacer.observe('https://c', { 'x-rate-limit-remaining': '700', 'x-request-cost': '1e12' }, CANVAS, 0);
    assert.match(warning ?? '', /X-Request-Cost: 1e12/);
    assert.ok(pacer.delayMs('https://c', CANVAS, 0) <= longestPaceMs(CANVAS));
  });

  it('takes an ordinary reading at its word, a remainder above the bucket as a full one, silently', () => {
    const pacer = new Pacer();
    assert.equal(pacer.observe('https://c', { 'x-rate-limit-remaining': '-5', 'x-request-cost': '1' }, CANVAS, 0), undefined, 'a little overdrawn: a short wait, nothing to report');
    assert.equal(pacer.delayMs('https://c', CANVAS, 0), ((RESERVE_UNITS + 4) / 10) * 1000);
    assert.equal(pacer.observe('https://c', { 'x-rate-limit-remaining': '1e9' }, CANVAS, 0), undefined);
    assert.equal(pacer.delayMs('https://c', CANVAS, 0), 0);
    assert.equal(pacer.observe('https://c', { 'x-rate-limit-remaining': '' }, CANVAS, 0), undefined, 'an empty header is no reading');
  });

  it('never holds a request longer than the bucket takes to leak, whatever its own bookings did', async () => {
    const pacer = new Pacer();
    const fast = { leakPerSecond: 100_000, highWater: 700 };
    pacer.observe('https://c', { 'x-rate-limit-remaining': '0', 'x-request-cost': '700' }, fast, Date.now());
    const started = Date.now();
    for (let i = 0; i < 5; i++) await pacer.wait('https://c', fast);
    assert.ok(Date.now() - started < 1_000, `5 waits took ${Date.now() - started} ms`);
    assert.ok(pacer.delayMs('https://c', fast) <= longestPaceMs(fast));
  });
});

describe('the simulated Canvas bucket', () => {
  it('reserves up front, charges the real cost, and refuses past the high-water mark', () => {
    const bucket = new LeakyBucket({ highWater: 120, upfront: 50, leakPerSecond: 0.000001, cost: 2 });
    assert.ok(bucket.admit());
    assert.ok(bucket.admit());
    assert.equal(bucket.admit(), false, '100 reserved: a third 50 would pass 120');
    assert.equal(Number(bucket.settle()['x-rate-limit-remaining']).toFixed(0), '68');
    assert.equal(bucket.headers()['x-request-cost'], '2.0000');
  });
});

/** The pacing before the reserve grew with the requests in flight: a fixed reserve, each wait booked at its start. */
class FixedReservePacer implements PacerUnderTest {
  private reading: { remaining: number; cost: number; at: number } | undefined;

  constructor(private readonly clock: VirtualClock) {}

  async wait(_origin: string, bucket: BucketShape): Promise<PacedRequest> {
    const reading = this.reading;
    let ms = 0;
    if (reading !== undefined) {
      const reserve = Math.min(bucket.highWater, RESERVE_UNITS + 4 * reading.cost);
      const available = Math.min(bucket.highWater, reading.remaining + ((this.clock.now() - reading.at) / 1000) * bucket.leakPerSecond);
      ms = available >= reserve ? 0 : Math.min(Math.ceil(((reserve - available) / bucket.leakPerSecond) * 1000), longestPaceMs(bucket));
      reading.remaining -= reading.cost;
    }
    if (ms > 0) await this.clock.sleep(ms);
    return { done: () => undefined };
  }

  observe(_origin: string, headers: Record<string, string>, bucket: BucketShape): void {
    const remaining = Math.min(bucket.highWater, Math.max(0, Number(headers['x-rate-limit-remaining'])));
    this.reading = { remaining, cost: Number(headers['x-request-cost']), at: this.clock.now() };
  }
}

const ORIGIN = 'https://canvas.example';

/** A reading as Canvas sends it. */
const reading = (remaining: number, cost: number): Record<string, string> => ({ 'x-rate-limit-remaining': String(remaining), 'x-request-cost': String(cost) });

describe('pacing requests in flight together', () => {
  it('grows the reserve by the upfront units of each request let go since the last reading, and shrinks it as each is done', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer(clock);
    pacer.observe(ORIGIN, reading(500, 5), CANVAS);
    const fixed = RESERVE_UNITS + 4 * 5;
    assert.equal(pacer.delayMs(ORIGIN, CANVAS), 0, `${fixed} units reserved, 500 left`);
    const first = await pacer.wait(ORIGIN, CANVAS);
    await pacer.wait(ORIGIN, CANVAS);
    await pacer.wait(ORIGIN, CANVAS);
    assert.equal(pacer.delayMs(ORIGIN, CANVAS), 0, `3 in flight: ${fixed + 3 * UPFRONT_UNITS} reserved`);
    await pacer.wait(ORIGIN, CANVAS);
    assert.equal(pacer.delayMs(ORIGIN, CANVAS), ((fixed + 4 * UPFRONT_UNITS - 500) / CANVAS.leakPerSecond) * 1000, '4 in flight: the fifth waits for the rest to leak');
    first.done();
    first.done();
    assert.equal(pacer.delayMs(ORIGIN, CANVAS), 0, 'one done (once, however often it says so): 3 in flight again');
  });

  it('takes a request as counted in a reading written after it reached the server, not in one that came right after it left', () => {
    const clock = { time: 0, now: () => clock.time, after: () => () => undefined };
    const pacer = new Pacer(clock);
    pacer.observe(ORIGIN, reading(400, 5), CANVAS);
    void pacer.wait(ORIGIN, CANVAS);
    clock.time = 1_000;
    pacer.observe(ORIGIN, reading(340, 5), CANVAS);
    assert.equal(pacer.delayMs(ORIGIN, CANVAS), 0, 'the request of 1 s ago is in the reading of 340: only the fixed reserve');
    void pacer.wait(ORIGIN, CANVAS);
    clock.time += READING_LAG_MS / 2;
    pacer.observe(ORIGIN, reading(340, 5), CANVAS);
    assert.equal(pacer.delayMs(ORIGIN, CANVAS), ((RESERVE_UNITS + 4 * 5 + UPFRONT_UNITS - 340) / CANVAS.leakPerSecond) * 1000, 'one that left just before the answer may not be in it yet');
  });

  it('lets waiting requests go one by one as answers show room, not all together when a computed wait ends', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer(clock);
    pacer.observe(ORIGIN, reading(400, 5), CANVAS);
    const leftAt: number[] = [];
    const requests = [1, 2, 3, 4].map(async () => {
      const request = await pacer.wait(ORIGIN, CANVAS);
      leftAt.push(clock.now());
      return request;
    });
    // The first answer comes at 200 ms: the other request in flight is in its reading, which has room for one more.
    clock.after(200, () => {
      void requests[0]?.then((request) => {
        request.done();
        pacer.observe(ORIGIN, reading(360, 5), CANVAS);
      });
    });
    await clock.runOut();
    assert.deepEqual(leftAt.slice(0, 3), [0, 0, 200], 'two at once (400 units hold the reserve and one more), the third woken by the answer');
    assert.ok((leftAt[3] ?? 0) > 200, `the fourth waits its own turn: ${leftAt[3]}`);
  });

  it('before the first reading sends no more at once than an empty bucket has room for; a source that answers without one is never held', async () => {
    const pacer = new Pacer(new VirtualClock());
    let left = 0;
    for (let i = 0; i < 16; i++) void pacer.wait(ORIGIN, CANVAS).then(() => (left += 1));
    await nextTurn();
    const room = Math.floor((CANVAS.highWater - RESERVE_UNITS) / UPFRONT_UNITS) + 1;
    assert.equal(left, room, 'a burst of 16 into a bucket nothing is known of');
    pacer.observe(ORIGIN, { 'content-type': 'application/json' }, CANVAS);
    await nextTurn();
    assert.equal(left, 16, 'no bucket to pace: the rest go');
  });

  it('stops waiting when its activity is cancelled', async () => {
    const pacer = new Pacer();
    pacer.observe(ORIGIN, reading(0, 1), CANVAS);
    const env = new MockActivityEnvironment();
    const started = Date.now();
    const waiting = env.run(() => pacer.wait(ORIGIN, CANVAS));
    setTimeout(() => env.cancel('CANCELLED'), 100);
    await assert.rejects(waiting, (error) => error instanceof CancelledFailure);
    assert.ok(Date.now() - started < 5_000, `cancelled after ${Date.now() - started} ms of a ${pacer.delayMs(ORIGIN, CANVAS)} ms wait`);
    pacer.observe(ORIGIN, reading(700, 1), CANVAS);
    assert.equal(pacer.delayMs(ORIGIN, CANVAS), 0, 'the cancelled request holds no room');
  });
});

/** The bench's bucket (Canvas's shape leaking 10× faster) and Canvas's own, each at a latency a handful of requesters outruns. */
const SCENARIOS: Array<{ name: string; bucket: CanvasBucket; latencyMs: number; seconds: number; steadyFrom: number }> = [
  { name: 'the bench bucket (100 units/s, 5 a request) at 100 ms', bucket: { highWater: 700, upfront: 50, leakPerSecond: 100, cost: 5 }, latencyMs: 100, seconds: 120, steadyFrom: 30 },
  { name: "Canvas's bucket (10 units/s, 1 a request) at 300 ms", bucket: { highWater: 700, upfront: 50, leakPerSecond: 10, cost: 1 }, latencyMs: 300, seconds: 600, steadyFrom: 200 },
];

describe('concurrent requesters against a simulated Canvas bucket, on virtual time', () => {
  for (const scenario of SCENARIOS) {
    for (const count of [1, 4, 8, 16]) {
      it(`${count} at once against ${scenario.name}: never throttled, ${count === 1 ? 'as fast as the latency allows' : 'at the sustainable rate'}`, async () => {
        const run = await runRequesters({ count, latencyMs: scenario.latencyMs, latencySpread: 0.5, pauseMs: 50, bucket: scenario.bucket, seconds: scenario.seconds, pacer: (clock) => new Pacer(clock) });
        assert.equal(run.throttled, 0, 'throttled answers');
        const rate = rateBetween(run, scenario.steadyFrom, scenario.seconds);
        const sustainable = scenario.bucket.leakPerSecond / scenario.bucket.cost;
        // One requester alone waits on its answers, never on the bucket (its demand is below the sustainable rate).
        const expected = count === 1 ? 1000 / (scenario.latencyMs + 25) : sustainable;
        assert.ok(rate >= 0.9 * expected && rate <= 1.05 * expected, `${rate.toFixed(2)} requests/s in the steady part, expected about ${expected.toFixed(2)}`);
      });
    }
  }

  it('the fixed reserve of before is throttled by 16 at once: the simulation sees the fault', async () => {
    const scenario = SCENARIOS[0] as (typeof SCENARIOS)[number];
    const run = await runRequesters({ count: 16, latencyMs: scenario.latencyMs, latencySpread: 0.5, pauseMs: 50, bucket: scenario.bucket, seconds: scenario.seconds, pacer: (clock) => new FixedReservePacer(clock) });
    assert.ok(run.throttled > 0, `${run.throttled} throttled`);
  });

  it('a lone requester that could outrun the bucket is paced exactly as by the fixed reserve of before', async () => {
    // 20 ms answers would make 50 requests/s; the bucket sustains 10.
    const options = { count: 1, latencyMs: 20, latencySpread: 0.5, pauseMs: 10, bucket: { highWater: 700, upfront: 50, leakPerSecond: 100, cost: 10 }, seconds: 120 };
    const now = await runRequesters({ ...options, pacer: (clock) => new Pacer(clock) });
    const before = await runRequesters({ ...options, pacer: (clock) => new FixedReservePacer(clock) });
    assert.equal(now.throttled, 0);
    assert.ok(rateBetween(before, 30, 120) >= 0.95 * 10, 'the bucket, not the latency, sets the pace');
    assert.deepEqual(now.answeredAt, before.answeredAt, 'every answer at the same moment');
  });
});
