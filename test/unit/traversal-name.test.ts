import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { traversalName } from '../../src/workflows/traversal-figures';

const first = { pass: 'main', cursorRecoveries: 0 } as const;

describe('a traversal\'s name in the audit trail', () => {
  it('is the resource for the main traversal, marked for the update scan, a partition or a parent', () => {
    assert.equal(traversalName({}, 'users', first), 'users');
    assert.equal(traversalName({ label: 'updates' }, 'users', first), 'users~updates');
    assert.equal(traversalName({ partition: { index: 2, token: 't' } }, 'students', first), 'students/p2');
    assert.equal(traversalName({ scope: 'course_id=7' }, 'enrollments', first), 'enrollments/course_id=7');
    assert.equal(traversalName({ label: 'updates', scope: 'course_id=7' }, 'enrollments', first), 'enrollments~updates/course_id=7');
  });

  it('says which pass and how many restarts after a rejected cursor', () => {
    assert.equal(traversalName({}, 'users', { pass: 'reconcile', cursorRecoveries: 0 }), 'users~reconcile');
    assert.equal(traversalName({}, 'users', { pass: 'main', cursorRecoveries: 2 }), 'users~restart2');
    assert.equal(traversalName({ partition: { index: 0, token: 't' } }, 'students', { pass: 'reconcile', cursorRecoveries: 1 }), 'students/p0~reconcile~restart1');
  });
});
