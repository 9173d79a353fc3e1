import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { LatencyEstimate, MIN_SAMPLES, percentile } from '../../src/activities/latency';

const ORIGIN = 'https://school.instructure.com';
const settings = { multiple: 10, floorMs: 2_000 };

function estimateOf(headersMs: number[], bodyMs = 5): LatencyEstimate {
  const estimate = new LatencyEstimate();
  for (const ms of headersMs) estimate.observe(ORIGIN, ms, bodyMs);
  return estimate;
}

describe('request timeouts that follow the source', () => {
  it('takes the ceiling until the source has answered often enough to judge', () => {
    const estimate = estimateOf(Array.from({ length: MIN_SAMPLES - 1 }, () => 20));
    assert.deepEqual(estimate.timeouts(ORIGIN, 60_000, settings, 1), { headersMs: 60_000, bodyMs: 60_000, rule: `source.requestTimeoutMs: fewer than ${MIN_SAMPLES} answers from this source yet` });
    assert.equal(estimate.timeouts('https://other.example', 60_000, settings, 1).headersMs, 60_000, 'per origin');
  });

  it('a fast source: the floor; a slow one: the multiple of its 95th percentile; never past the ceiling', () => {
    assert.equal(estimateOf(Array.from({ length: 20 }, () => 20)).timeouts(ORIGIN, 60_000, settings, 1).headersMs, 2_000);
    const slow = estimateOf([...Array.from({ length: 19 }, () => 400), 900]);
    assert.equal(slow.timeouts(ORIGIN, 60_000, settings, 1).headersMs, 4_000, 'p95 of 400 ms (the one 900 ms outlier is the top 5%)');
    assert.equal(estimateOf(Array.from({ length: 20 }, () => 9_000)).timeouts(ORIGIN, 60_000, settings, 1).headersMs, 60_000);
    assert.match(slow.timeouts(ORIGIN, 60_000, settings, 1).rule, /^10 × this source's p95 of 400 ms to headers, at least 2000 ms, at most source.requestTimeoutMs/);
  });

  it('doubles at each retry of the same request, so a page slow for its own reasons still gets through', () => {
    const estimate = estimateOf(Array.from({ length: 20 }, () => 300));
    assert.deepEqual([1, 2, 3, 4, 6].map((attempt) => estimate.timeouts(ORIGIN, 30_000, settings, attempt).headersMs), [3_000, 6_000, 12_000, 24_000, 30_000]);
    assert.match(estimate.timeouts(ORIGIN, 30_000, settings, 2).rule, /× 2 at attempt 2/);
  });

  it('body timeouts follow body latencies; off means the ceiling', () => {
    const estimate = estimateOf(Array.from({ length: 10 }, () => 10), 600);
    assert.equal(estimate.timeouts(ORIGIN, 60_000, settings, 1).bodyMs, 6_000);
    assert.equal(estimate.timeouts(ORIGIN, 60_000, false, 1).headersMs, 60_000);
  });

  it('keeps only the newest 50 answers', () => {
    const estimate = estimateOf([...Array.from({ length: 50 }, () => 5_000), ...Array.from({ length: 50 }, () => 10)]);
    assert.equal(estimate.timeouts(ORIGIN, 60_000, settings, 1).headersMs, 2_000);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95), 10);
    assert.equal(percentile([5], 0.95), 5);
  });
});
