import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, it } from '@jest/globals';
import { deadOnThisHost, workerIdentity } from '../../src/worker/reclaim-attempts';

describe('which stopped workers a restarted one takes attempts from', () => {
  const ours = workerIdentity();
  const gonePid = spawnSync(process.execPath, ['-e', '0']).pid as number;

  it('a process of this host that no longer exists', () => {
    assert.equal(deadOnThisHost(`${gonePid}@${hostname()}`, ours), true);
  });

  it('our own identity (a container restarted with the same process id): the caller only asks about attempts started before us', () => {
    assert.equal(deadOnThisHost(ours, ours), true);
  });

  it('never a live process of this host, a worker of another host, or an identity set by hand', () => {
    assert.equal(deadOnThisHost(`${process.ppid}@${hostname()}`, ours), false);
    assert.equal(deadOnThisHost(`${gonePid}@another-host`, ours), false);
    assert.equal(deadOnThisHost('nightly-worker-1', ours), false);
  });
});
