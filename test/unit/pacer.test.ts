import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { longestPaceMs, Pacer, RESERVE_UNITS } from '../../src/activities/pacer';
import { LeakyBucket } from '../../src/simulator/leaky-bucket';

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
