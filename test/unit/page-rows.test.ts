import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { recordCheckFor } from '../../src/schemas/record-check';
import { canonicalJson, keyPage } from '../../src/sinks/page-rows';

describe('keying a page on its primary key', () => {
  it('hashes records independently of field order', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }), '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
    const { rows } = keyPage([{ id: 1, name: 'a' }, { name: 'a', id: 2 }], ['id']);
    const [first] = keyPage([{ name: 'a', id: 1 }], ['id']).rows;
    assert.equal(rows[0]?.hash, first?.hash);
  });

  it('keeps the last copy of a key repeated within a page', () => {
    const { rows } = keyPage([{ id: 1, v: 'old' }, { id: 1, v: 'new' }], ['id']);
    assert.equal(rows.length, 1);
    assert.match(rows[0]?.recordJson ?? '', /new/);
  });

  it('builds composite keys', () => {
    const { rows } = keyPage([{ course_id: 7, user_id: 'u1' }], ['course_id', 'user_id']);
    assert.deepEqual(rows[0]?.keyValues, ['7', 'u1']);
    assert.equal(rows[0]?.key, '["7","u1"]');
  });

  it('sets aside records without a key, naming the field, and non-objects', () => {
    const { rows, rejected } = keyPage([{ id: 1 }, { id: null }, 'oops', { name: 'x' }], ['id']);
    assert.equal(rows.length, 1);
    assert.deepEqual(rejected.map((r) => [r.index, r.reason]), [
      [1, 'id: primary key field missing or null'],
      [2, '(record): record is not a JSON object'],
      [3, 'id: primary key field missing or null'],
    ]);
  });

  it('sets aside records that fail the schema with every issue, keeping the key for re-admission', () => {
    const check = recordCheckFor('canvas.users');
    const { rows, rejected } = keyPage(
      [{ id: 1, name: 'Ava Garcia', extra: true }, { id: 2 }, { id: 3, name: 42, email: 7 }, { id: null, name: 'x' }],
      ['id'],
      check,
    );
    assert.deepEqual(rows.map((r) => r.keyValues), [['1']]);
    assert.deepEqual(
      rejected.map((r) => [r.index, r.key, r.issues.map((i) => i.path)]),
      [
        [1, '["2"]', ['name']],
        [2, '["3"]', ['name', 'email']],
        [3, null, ['id']],
      ],
    );
    assert.match(rejected[1]?.reason ?? '', /^name: .*expected string, received number; email: /);
  });
});
