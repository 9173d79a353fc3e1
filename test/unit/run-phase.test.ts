import assert from 'node:assert/strict';
import { it } from '@jest/globals';
import { runPhase } from '../../src/workflows/definitions';

it('names the earliest phase any resource is in', () => {
  assert.equal(runPhase(['pending', 'pending']), 'pending');
  assert.equal(runPhase(['running', 'scanning-deletions']), 'traversal');
  assert.equal(runPhase(['completed', 'scanning-updates', 'checking']), 'update scan');
  assert.equal(runPhase(['completed', 'checking']), 'checks');
  assert.equal(runPhase(['failed', 'scanning-deletions']), 'deletion scan');
  assert.equal(runPhase(['completed', 'pending']), 'traversal');
  assert.equal(runPhase(['completed', 'failed']), 'done');
});
