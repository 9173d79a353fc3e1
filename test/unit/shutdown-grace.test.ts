import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { DEFAULT_SHUTDOWN_GRACE_SECONDS, shutdownGraceSeconds } from '../../src/client/settings';
import { workerShutdownOptions } from '../../src/worker/worker';

describe('LMS_EXPORT_SHUTDOWN_GRACE_SECONDS', () => {
  it('defaults to a few seconds and takes whole or fractional seconds, zero included', () => {
    assert.equal(shutdownGraceSeconds({}), DEFAULT_SHUTDOWN_GRACE_SECONDS);
    assert.equal(shutdownGraceSeconds({ LMS_EXPORT_SHUTDOWN_GRACE_SECONDS: '' }), DEFAULT_SHUTDOWN_GRACE_SECONDS);
    assert.equal(shutdownGraceSeconds({ LMS_EXPORT_SHUTDOWN_GRACE_SECONDS: '30' }), 30);
    assert.equal(shutdownGraceSeconds({ LMS_EXPORT_SHUTDOWN_GRACE_SECONDS: '0.5' }), 0.5);
    assert.equal(shutdownGraceSeconds({ LMS_EXPORT_SHUTDOWN_GRACE_SECONDS: '0' }), 0);
  });

  it('refuses what is not a number of seconds, naming the variable and the value', () => {
    for (const value of ['soon', '-1', '5s', 'Infinity']) {
      assert.throws(() => shutdownGraceSeconds({ LMS_EXPORT_SHUTDOWN_GRACE_SECONDS: value }), new RegExp(`LMS_EXPORT_SHUTDOWN_GRACE_SECONDS must be a number of seconds ≥ 0 \\(e\\.g\\. 5\\), got "${value}"`));
    }
  });

  it('gives every worker the grace, and a later point at which it stops waiting for activities that ignore cancellation', () => {
    const { shutdownGraceTime, shutdownForceTime } = workerShutdownOptions(3);
    assert.equal(shutdownGraceTime, 3_000);
    assert.ok(Number(shutdownForceTime) > 3_000);
  });
});
