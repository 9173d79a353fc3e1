import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { BUILT_IN_SCHEMA_NAMES } from '../../src/schemas/built-in';
import { recordCheckFor } from '../../src/schemas/record-check';
import { checkInvalidRatio } from '../../src/workflows/invalid-records';

const paths = (issues: Array<{ path: string }>): string[] => issues.map((i) => i.path);

describe('record schemas', () => {
  it('has the common resources of each preset', () => {
    assert.deepEqual([...BUILT_IN_SCHEMA_NAMES].sort(), [
      'canvas.courses',
      'canvas.enrollments',
      'canvas.submissions',
      'canvas.users',
      'edfi.studentSchoolAssociations',
      'edfi.studentSectionAttendanceEvents',
      'edfi.students',
      'oneroster.classes',
      'oneroster.enrollments',
      'oneroster.users',
    ]);
  });

  it('passes documented records with unknown fields, and names each broken field', () => {
    const student = recordCheckFor('edfi.students')!;
    const valid = { id: '6f1c9f2e', studentUniqueId: '604822', firstName: 'Maya', lastSurname: 'Okafor', birthDate: '2012-03-09', _etag: '5250', _ext: { tx: {} } };
    assert.deepEqual(student(valid), []);
    assert.deepEqual(paths(student({ ...valid, birthDate: '03/09/2012', firstName: undefined })), ['firstName', 'birthDate']);

    const attendance = recordCheckFor('edfi.studentSectionAttendanceEvents')!;
    const event = {
      id: 'a1',
      studentReference: { studentUniqueId: '604822' },
      sectionReference: { localCourseCode: 'ALG-1', schoolId: 255901001, schoolYear: 2026, sectionIdentifier: 'S1', sessionName: 'Fall' },
      eventDate: '2026-09-14',
      attendanceEventCategoryDescriptor: 'uri://ed-fi.org/AttendanceEventCategoryDescriptor#Tardy',
    };
    assert.deepEqual(attendance(event), []);
    assert.deepEqual(paths(attendance({ ...event, sectionReference: { ...event.sectionReference, schoolId: '255901001' } })), ['sectionReference.schoolId']);

    const enrollment = recordCheckFor('oneroster.enrollments')!;
    const ok = { sourcedId: 'e1', status: 'active', dateLastModified: '2026-08-24T12:00:00.000Z', role: 'student', user: { sourcedId: 'u1' }, class: { sourcedId: 'c1' } };
    assert.deepEqual(enrollment(ok), []);
    assert.deepEqual(paths(enrollment({ ...ok, status: 'deleted', user: {} })), ['status', 'user.sourcedId']);

    const submission = recordCheckFor('canvas.submissions')!;
    assert.deepEqual(submission({ id: 1, assignment_id: 2, user_id: 3, score: null, workflow_state: 'unsubmitted' }), []);
    assert.deepEqual(paths(submission('not an object')), ['(record)']);
  });

  it('checks a declared schema: required fields present and typed, optional ones typed when present, dotted paths nested', () => {
    const check = recordCheckFor({
      required: { id: 'integer', 'school.id': 'string', seen: 'date-time' },
      optional: { grade: 'number', 'school.district': 'string' },
    })!;
    const record = { id: 1, school: { id: 'S1' }, seen: '2026-08-24T12:00:00Z', other: 'kept' };
    assert.deepEqual(check(record), []);
    assert.deepEqual(check({ ...record, grade: null }), []);
    assert.deepEqual(paths(check({ id: 1.5, school: { district: 4 }, seen: 'yesterday', grade: '9' })), ['id', 'school.id', 'school.district', 'seen', 'grade']);
    assert.equal(recordCheckFor(undefined), undefined);
  });
});

describe('maxInvalidRatio', () => {
  const resource = { name: 'users', maxInvalidRatio: 0.01 };
  const seen = { quarantined: 0, recordsFetched: 0, expectedAtStart: null, firstInvalid: 'page 2, record 5: name: Invalid input' };

  it('judges the share at the end of the traversal', () => {
    assert.doesNotThrow(() => checkInvalidRatio(resource, { ...seen, quarantined: 10, recordsFetched: 1_000 }, true));
    assert.throws(
      () => checkInvalidRatio(resource, { ...seen, quarantined: 11, recordsFetched: 1_000 }, true),
      /resource users: 11 of 1000 records \(1\.1%\) failed validation, over maxInvalidRatio 1\.0%; first: page 2, record 5: name: Invalid input/,
    );
    // Mid-traversal, without an announced total, the share so far proves nothing.
    assert.doesNotThrow(() => checkInvalidRatio(resource, { ...seen, quarantined: 50, recordsFetched: 100 }, false));
  });

  it('stops early once the count alone is over the share of the total the API announced', () => {
    assert.doesNotThrow(() => checkInvalidRatio(resource, { ...seen, quarantined: 100, recordsFetched: 200, expectedAtStart: 10_000 }, false));
    assert.throws(
      () => checkInvalidRatio(resource, { ...seen, quarantined: 101, recordsFetched: 200, expectedAtStart: 10_000 }, false),
      /101 records already, of 10000 announced, failed validation/,
    );
  });
});
