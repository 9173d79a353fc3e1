import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { isServerUnreachable, withReconnect } from '../../src/client/reconnect';

const unavailable = () => new Error('Failed to get Workflow execution history', { cause: Object.assign(new Error('14 UNAVAILABLE: Connection dropped'), { code: 14 }) });

describe('waiting through a lost Temporal server', () => {
  it('tells an unreachable server from one that answered with an error', () => {
    assert.ok(isServerUnreachable(unavailable()));
    assert.ok(isServerUnreachable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7233'), { code: 'ECONNREFUSED' })));
    assert.ok(isServerUnreachable(new Error('Failed to connect before the deadline')), "grpc-js's own connect timeout");
    assert.ok(!isServerUnreachable(Object.assign(new Error('5 NOT_FOUND: workflow not found'), { code: 5 })));
    assert.ok(!isServerUnreachable(new Error('the run failed')));
  });

  it('retries the call once the probe answers again, saying so in two lines', async () => {
    const lines: string[] = [];
    let calls = 0;
    let probes = 0;
    const result = await withReconnect(
      async () => {
        calls += 1;
        if (calls === 1) throw unavailable();
        return 'report';
      },
      {
        address: '127.0.0.1:7233',
        probe: async () => {
          probes += 1;
          if (probes < 3) throw unavailable();
        },
        log: (line) => lines.push(line),
      },
    );
    assert.equal(result, 'report');
    assert.equal(calls, 2);
    assert.equal(probes, 3);
    assert.deepEqual(lines, ['lost the Temporal server at 127.0.0.1:7233; reconnecting…', 'reconnected']);
  });

  it('passes any other error through at once', async () => {
    await assert.rejects(withReconnect(() => Promise.reject(new Error('the run failed')), { address: 'x:1', probe: async () => undefined, log: () => assert.fail('nothing to say') }), /the run failed/);
  });

  it('gives up after the bound, naming the server and what to do', async () => {
    const lines: string[] = [];
    await assert.rejects(
      withReconnect(() => Promise.reject(unavailable()), { address: '127.0.0.1:7233', probe: () => Promise.reject(unavailable()), boundMs: 300, log: (line) => lines.push(line) }),
      /the Temporal server at 127\.0\.0\.1:7233 has not answered for 0\.3 s; the run goes on there: check the server, then lms-export status <run>/,
    );
    assert.deepEqual(lines, ['lost the Temporal server at 127.0.0.1:7233; reconnecting…']);
  });
});
