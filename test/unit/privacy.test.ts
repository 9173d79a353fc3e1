import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from '@jest/globals';
import { hmacHasher, weakKeyReason } from '../../src/privacy/hmac';
import { isCoveredBy, pathsOverlap } from '../../src/privacy/paths';
import { redactPage } from '../../src/privacy/redact-page';
import { redactRecord } from '../../src/privacy/redact';
import { recordCheckFor } from '../../src/schemas/record-check';
import { keyPage } from '../../src/sinks/page-rows';
import { pageCheck, readStagedRecords, stagedRecordsJson } from '../../src/sinks/staged-page';
import { parseExportSpec } from '../../src/spec/parse-spec';
import { specRejection } from '../helpers/specs';

const KEY = 'k'.repeat(32);
const hash = hmacHasher(KEY);
const expected = (text: string): string => `hmac256:${createHmac('sha256', KEY).update(text).digest('hex')}`;

describe('privacy paths', () => {
  it('overlap segment by segment, not by prefix of text', () => {
    assert.ok(pathsOverlap('user', 'user.email'));
    assert.ok(pathsOverlap('user.email', 'user'));
    assert.ok(pathsOverlap('email', 'email'));
    assert.ok(!pathsOverlap('use', 'user.email'));
    assert.ok(!pathsOverlap('user.email', 'user.emails'));
  });

  it('cover schema issues below them, array indexes included', () => {
    assert.ok(isCoveredBy('birth_date', ['birth_date']));
    assert.ok(isCoveredBy('user.email', ['user']));
    assert.ok(isCoveredBy('emails.1.address', ['emails.address']));
    assert.ok(!isCoveredBy('user', ['user.email']));
    assert.ok(!isCoveredBy('name', ['birth_date']));
  });
});

describe('redacting a record', () => {
  it('drops fields, nested ones and those of every array element, leaving the rest and the input as they were', () => {
    const record = { id: 1, birth_date: '2010-04-01', user: { email: 'a@x.edu', name: 'A' }, guardians: [{ phone: '1', name: 'G' }, { name: 'H' }] };
    const copy = structuredClone(record);
    const redacted = redactRecord(record, { drop: ['birth_date', 'user.email', 'guardians.phone', 'absent.field'], hash: [] }, hash);
    assert.deepEqual(redacted, { id: 1, user: { name: 'A' }, guardians: [{ name: 'G' }, { name: 'H' }] });
    assert.deepEqual(record, copy);
  });

  it('hashes strings, numbers and arrays element by element as HMAC-SHA-256 hex, and keeps null', () => {
    const redacted = redactRecord({ id: 1, email: 'a@x.edu', sis: 12345, aliases: ['a', 'b'], phone: null }, { drop: [], hash: ['email', 'sis', 'aliases', 'phone'] }, hash);
    assert.deepEqual(redacted, { id: 1, email: expected('a@x.edu'), sis: expected('12345'), aliases: [expected('a'), expected('b')], phone: null });
  });

  it('hashes a number and its text alike, so a join across APIs that type an id differently still holds', () => {
    const [a, b] = [redactRecord({ sis: 12345 }, { drop: [], hash: ['sis'] }, hash), redactRecord({ sis: '12345' }, { drop: [], hash: ['sis'] }, hash)];
    assert.deepEqual(a, b);
  });

  it('hashes an object by its canonical JSON, whatever order its fields came in', () => {
    const rules = { drop: [], hash: ['ids'] };
    assert.deepEqual(redactRecord({ ids: { a: 1, b: 2 } }, rules, hash), redactRecord({ ids: { b: 2, a: 1 } }, rules, hash));
    assert.deepEqual(redactRecord({ ids: { a: 1, b: 2 } }, rules, hash), { ids: expected('{"a":1,"b":2}') });
  });

  it('keeps a record field named __proto__ a field', () => {
    const record = JSON.parse('{"id":1,"__proto__":{"email":"a@x.edu"}}') as unknown;
    const redacted = redactRecord(record, { drop: [], hash: ['__proto__.email'] }, hash) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(redacted), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(redacted, '__proto__')?.value, { email: expected('a@x.edu') });
  });
});

describe('the hash key', () => {
  it('hashes the same value alike under the same key and differently under another', () => {
    assert.equal(hmacHasher(KEY)('a@x.edu'), hmacHasher(KEY)('a@x.edu'));
    assert.notEqual(hmacHasher(KEY)('a@x.edu'), hmacHasher('j'.repeat(32))('a@x.edu'));
    assert.match(hash('a@x.edu'), /^hmac256:[0-9a-f]{64}$/);
  });

  it('must be set and at least 32 bytes', () => {
    assert.equal(weakKeyReason(undefined), 'is not set on this worker');
    assert.equal(weakKeyReason(''), 'is not set on this worker');
    assert.match(weakKeyReason('short') ?? '', /holds 5 bytes; a hash key needs at least 32/);
    assert.equal(weakKeyReason(KEY), undefined);
  });
});

describe('a redacted page in staging', () => {
  const check = recordCheckFor({ required: { id: 'integer', sis: 'integer', name: 'string' }, optional: { birth_date: 'date' } });
  const rules = { drop: ['birth_date'], hash: ['sis'] };

  it('is checked on the records as served at the redacted paths, and on the stored form elsewhere', () => {
    const served = [
      { id: 1, sis: 100, name: 'A', birth_date: '2010-04-01' },
      { id: 2, sis: 'not a number', name: 'B' },
      { id: 3, sis: 300, name: 'C', birth_date: 'April' },
      { id: 4, sis: 400 },
    ];
    const page = redactPage(served, rules, hash, check);
    const staged = readStagedRecords(stagedRecordsJson({ records: page.records, redaction: { paths: page.paths, issues: page.issues } }));
    assert.ok(!JSON.stringify(staged).includes('2010-04-01'));
    assert.ok(!JSON.stringify(staged).includes('April'));
    const { rows, rejected } = keyPage(staged.records, ['id'], pageCheck(check, staged));
    assert.deepEqual(rows.map((r) => r.key), ['["1"]']);
    assert.deepEqual(JSON.parse(rows[0]?.recordJson ?? ''), { id: 1, sis: expected('100'), name: 'A' });
    assert.deepEqual(rejected.map((r) => [r.index, r.issues.map((i) => i.path)]), [[1, ['sis']], [2, ['birth_date']], [3, ['name']]]);
    for (const r of rejected) assert.ok(!r.recordJson.includes('birth_date'), 'quarantined records are redacted too');
  });

  it('reads a page staged without a rule as before', () => {
    assert.deepEqual(readStagedRecords('[{"id":1}]'), { records: [{ id: 1 }] });
    assert.equal(pageCheck(check, { records: [] }), check);
  });
});

describe('privacy in a spec', () => {
  const spec = (resources: unknown[]): unknown => ({
    name: 'ferpa',
    source: { preset: 'canvas', baseUrl: 'https://lms.example.edu/api/v1', auth: { bearerTokenEnv: 'CANVAS_TOKEN' } },
    resources,
    sink: { kind: 'duckdb', path: 'out.duckdb' },
  });
  const users = (privacy: unknown, more: object = {}): object => ({ name: 'users', path: '/accounts/1/users', primaryKey: ['id'], privacy, ...more });

  it('defaults the key variable and accepts drop and hash paths', () => {
    const parsed = parseExportSpec(spec([users({ drop: ['birth_date'], hash: ['email', 'identifiers.sisId'] })]));
    assert.deepEqual(parsed.resources[0]?.privacy, { drop: ['birth_date'], hash: ['email', 'identifiers.sisId'], hashKeyEnv: 'LMS_EXPORT_PRIVACY_KEY' });
  });

  it('refuses to drop or hash a primary-key field, naming it', () => {
    assert.match(specRejection(spec([users({ drop: ['id'] })])), /resources\[0\]\.privacy\.drop\[0\]: id: it is in primaryKey/);
    assert.match(specRejection(spec([users({ hash: ['id.value'] })])), /resources\[0\]\.privacy\.hash\[0\]: id\.value: id is in primaryKey/);
  });

  it('refuses fields the exporter reads back: the high-water mark, a parent key, keyset fields', () => {
    const incremental = users({ hash: ['updated_at'] }, { incremental: { cursorField: 'updated_at' }, updateScan: { sinceParam: 'updated_since' } });
    assert.match(specRejection(spec([incremental])), /privacy\.hash\[0\]: updated_at: it is incremental\.cursorField/);
    const courses = { name: 'courses', path: '/courses', primaryKey: ['id'], privacy: { hash: ['sis_course_id'] } };
    const enrollments = { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], parent: { resource: 'courses', key: 'sis_course_id', as: 'course_id' } };
    assert.match(specRejection(spec([courses, enrollments])), /resources\[0\]\.privacy\.hash\[0\]: sis_course_id: it is the parent key resources\[1\] \(enrollments\) reads/);
    const child = { ...enrollments, parent: { resource: 'courses', as: 'course_id' }, privacy: { drop: ['course_id'] } };
    assert.match(specRejection(spec([{ ...courses, privacy: undefined }, child])), /resources\[1\]\.privacy\.drop\[0\]: course_id: it is parent\.as/);
    const keyset = users({ drop: ['created_at'] }, { pagination: { type: 'keyset', fields: ['created_at', 'id'], params: ['after_created', 'after_id'] } });
    assert.match(specRejection(spec([keyset])), /privacy\.drop\[0\]: created_at: it is a keyset paging field/);
  });

  it('refuses a field given two rules, or one rule inside another', () => {
    assert.match(specRejection(spec([users({ drop: ['user'], hash: ['user.email'] })])), /privacy\.hash\[0\]: user\.email: overlaps privacy\.drop\[0\] \(user\)/);
    assert.match(specRejection(spec([users({ hash: ['email', 'email'] })])), /privacy\.hash\[1\]: email: is privacy\.hash\[0\] \(email\)/);
  });

  it('refuses a key variable that is no variable name', () => {
    assert.match(specRejection(spec([users({ hash: ['email'], hashKeyEnv: 'my key' })])), /privacy\.hashKeyEnv: expected an environment variable name/);
  });
});
