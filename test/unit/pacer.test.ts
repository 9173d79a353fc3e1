import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pacer, RESERVE_UNITS } from '../../src/activities/pacer';
import { LeakyBucket } from '../../src/simulator/leaky-bucket';

describe('pacing against a leaky bucket', () => {
  it('sends at once while the bucket has headroom, then waits for the deficit to leak away', () => {
    const pacer = new Pacer();
    assert.equal(pacer.delayMs('https://c', 10, 0), 0, 'nothing known yet');
    pacer.observe('https://c', { 'x-rate-limit-remaining': '650.0', 'x-request-cost': '2.5' }, 0);
    assert.equal(pacer.delayMs('https://c', 10, 0), 0);
    pacer.observe('https://c', { 'x-rate-limit-remaining': '200', 'x-request-cost': '5' }, 0);
    const reserve = RESERVE_UNITS + 4 * 5;
    assert.equal(pacer.delayMs('https://c', 10, 0), ((reserve - 200) / 10) * 1000);
    assert.equal(pacer.delayMs('https://c', 10, 5_000), ((reserve - 250) / 10) * 1000, 'what leaked meanwhile counts');
    assert.equal(pacer.delayMs('https://other', 10, 0), 0, 'per origin');
  });

  it('ignores sources that report no bucket', () => {
    const pacer = new Pacer();
    pacer.observe('https://x', { 'content-type': 'application/json' }, 0);
    assert.equal(pacer.delayMs('https://x', 10, 0), 0);
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
