import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { SERVER_DYNAMIC_CONFIG, withServerTuning } from '../../src/dev/server-tuning';

describe('the dynamic config of the dev servers we start', () => {
  it('raises how often history reads its task queues, for every server started without arguments of its own', () => {
    const args = withServerTuning();
    assert.ok(Object.keys(SERVER_DYNAMIC_CONFIG).includes('history.transferProcessorMaxPollRPS'));
    for (const [key, value] of Object.entries(SERVER_DYNAMIC_CONFIG)) {
      const at = args.indexOf(`${key}=${value}`);
      assert.ok(at > 0 && args[at - 1] === '--dynamic-config-value', `${key}=${value} is passed as a dynamic config value`);
    }
  });

  it("keeps the caller's arguments, and leaves out our value of a key the caller sets itself", () => {
    const args = withServerTuning(['--dynamic-config-value', 'history.timerProcessorMaxPollRPS=5', '--log-level', 'warn']);
    assert.deepEqual(args.slice(-4), ['--dynamic-config-value', 'history.timerProcessorMaxPollRPS=5', '--log-level', 'warn']);
    assert.equal(args.filter((arg) => arg.startsWith('history.timerProcessorMaxPollRPS=')).length, 1);
    assert.ok(args.includes(`history.transferProcessorMaxPollRPS=${SERVER_DYNAMIC_CONFIG['history.transferProcessorMaxPollRPS']}`));
  });
});
