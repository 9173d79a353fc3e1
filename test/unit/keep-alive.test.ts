import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { EMPTY_LOG, noteFailure, type AttemptLog } from '../../src/activities/attempt-log';
import { allKeptAlive, keptAlive } from '../../src/activities/keep-alive';

/** Runs `activity` kept alive in an attempt with these details, and returns what it heartbeated. */
async function heartbeatsOf(info: { heartbeatTimeoutMs?: number; heartbeatDetails?: unknown }, activity: () => Promise<unknown>): Promise<unknown[]> {
  const env = new MockActivityEnvironment(info);
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
  await env.run(keptAlive(activity));
  return heartbeats;
}

describe('activities kept alive', () => {
  it('heartbeat about three times per heartbeat timeout for as long as they run', async () => {
    const heartbeats = await heartbeatsOf({ heartbeatTimeoutMs: 300 }, () => sleep(1_000));
    assert.ok(heartbeats.length >= 6 && heartbeats.length <= 10, `${heartbeats.length} heartbeats in 1 s`);
  });

  it('re-send the attempt log as it stands, never other details', async () => {
    const earlier: AttemptLog = { retries: { ServerError: 2 }, throttled: 0, waitedMs: 3_000 };
    const heartbeats = await heartbeatsOf({ heartbeatTimeoutMs: 150, heartbeatDetails: earlier }, async () => {
      await sleep(200);
      noteFailure('NetworkError', 1_000);
      await sleep(200);
    });
    const noted = { retries: { ServerError: 2, NetworkError: 1 }, throttled: 0, waitedMs: 4_000, serverWaitMs: 0, backoffMs: 1_000, failedRequestMs: 0 };
    assert.ok(heartbeats.length >= 4);
    assert.deepEqual(heartbeats[0], earlier, "the earlier attempts' log, before this one noted anything");
    assert.deepEqual(heartbeats.at(-1), noted, 'then the log with what this attempt noted');
    for (const details of heartbeats) assert.ok([JSON.stringify(earlier), JSON.stringify(noted)].includes(JSON.stringify(details)), JSON.stringify(details));
  });

  it('send an empty log for an activity that keeps none, and nothing at all without a heartbeat timeout or when quick', async () => {
    assert.deepEqual((await heartbeatsOf({ heartbeatTimeoutMs: 90 }, () => sleep(100)))[0], EMPTY_LOG);
    assert.deepEqual(await heartbeatsOf({ heartbeatTimeoutMs: 0 }, () => sleep(200)), []);
    assert.deepEqual(await heartbeatsOf({ heartbeatTimeoutMs: 10_000 }, () => sleep(50)), []);
  });

  it('stop heartbeating when the activity fails, and pass its failure on', async () => {
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 90 });
    let heartbeats = 0;
    env.on('heartbeat', () => (heartbeats += 1));
    await assert.rejects(env.run(keptAlive(async () => {
      await sleep(100);
      throw new Error('page 3: the sink refused it');
    })), /page 3: the sink refused it/);
    const atFailure = heartbeats;
    await sleep(200);
    assert.equal(heartbeats, atFailure);
  });

  it('wrap every activity of a set under its own name, with its arguments and result', async () => {
    const activities = allKeptAlive({ double: async (n: number) => n * 2, greet: async (name: string) => `hello ${name}` });
    assert.deepEqual(Object.keys(activities), ['double', 'greet']);
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 10_000 });
    assert.equal(await env.run(activities.double, 21), 42);
    assert.equal(await env.run(activities.greet, 'Ada'), 'hello Ada');
  });
});
