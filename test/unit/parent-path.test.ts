import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { fillParentPath, placeholdersOf } from '../../src/workflows/parent-path';

describe("filling a child resource's path from its parent", () => {
  it('escapes each value as one path segment', () => {
    assert.deepEqual(fillParentPath('/courses/{course_id}/sections/{section}/enrollments', { course_id: '7', section: 'a/b ?c#d' }), {
      path: '/courses/7/sections/a%2Fb%20%3Fc%23d/enrollments',
    });
    assert.equal(fillParentPath('/courses/{course_id}/x', { course_id: '%2e%2e' }).path, '/courses/%252e%252e/x', 'an escaped dot segment stays escaped');
    assert.equal(fillParentPath('/courses/{course_id}/x', { course_id: '...' }).refused, undefined, 'three dots are an ordinary name');
    assert.deepEqual(placeholdersOf('/a/{one}/b/{two}'), ['one', 'two']);
  });

  const hazards = [
    { value: '..', shown: '".."', requested: '/enrollments' },
    { value: '.', shown: '"."', requested: '/courses/enrollments' },
    { value: '', shown: 'empty', requested: '/courses//enrollments' },
  ];
  for (const { value, shown, requested } of hazards) {
    it(`refuses a parent key ${shown}: the URL would request ${requested} instead`, () => {
      const filled = fillParentPath('/courses/{course_id}/enrollments', { course_id: value });
      assert.equal(new URL(`https://lms.example${filled.path}`).pathname, requested, 'what the request would have been');
      assert.equal(
        filled.refused,
        `parent field course_id is ${shown}, which cannot fill {course_id} in /courses/{course_id}/enrollments: the request would leave the parent's own path; fix or remove that parent record`,
      );
    });
  }

  it('treats a placeholder the parent lacks as empty, even one named like an inherited field', () => {
    assert.match(fillParentPath('/courses/{constructor}/x', { course_id: '1' }).refused ?? '', /parent field constructor is empty/);
    assert.match(fillParentPath('/courses/{course_id}/users/{user_id}', { course_id: '1' }).refused ?? '', /parent field user_id is empty/);
  });
});
