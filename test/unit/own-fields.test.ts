import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { fingerprintOf, pageDrift, runDrift } from '../../src/integrity/fingerprint';
import { keysetStrategy } from '../../src/pagination/keyset';
import { readJsonPath } from '../../src/pagination/json-path';
import { recordCheckFor } from '../../src/schemas/record-check';
import { keyPage } from '../../src/sinks/page-rows';

/** Field names every object inherits from Object.prototype: a record without them must read as lacking them. */
const INHERITED = ['constructor', 'toString', 'hasOwnProperty', 'valueOf'];

describe("a record's own fields only", () => {
  it('reads a path that is absent as absent, not as what Object.prototype holds', () => {
    for (const name of INHERITED) {
      assert.equal(readJsonPath({ id: 1 }, name), undefined, name);
      assert.equal(readJsonPath({ meta: {} }, `meta.${name}`), undefined, `meta.${name}`);
    }
    assert.equal(readJsonPath({ constructor: 'own' }, 'constructor'), 'own');
    assert.deepEqual(readJsonPath({ items: [{ id: 1 }] }, 'items.0'), { id: 1 });
  });

  it('quarantines every record of a primary key absent from the records, naming the field, instead of keying them all on null', () => {
    const { rows, rejected } = keyPage([{ id: 1 }, { id: 2 }, { id: 3, constructor: 'c3' }], ['constructor']);
    assert.deepEqual(rows.map((r) => r.key), ['["c3"]']);
    assert.deepEqual(rejected.map((r) => [r.index, r.reason]), [
      [0, 'constructor: primary key field missing or null'],
      [1, 'constructor: primary key field missing or null'],
    ]);
    assert.equal(keyPage([{ id: 1 }], ['toString']).rows.length, 0);
  });

  it('checks a declared field named like an inherited one as a field of the record', () => {
    const check = recordCheckFor({ required: { id: 'integer', constructor: 'string' }, optional: { toString: 'string', 'ref.valueOf': 'integer' } } as const);
    assert.ok(check);
    assert.deepEqual(check({ id: 1, constructor: 'x' }), [], 'optional inherited names absent: valid');
    assert.deepEqual(check({ id: 1, constructor: 'x', ref: {} }), []);
    assert.deepEqual(check({ id: 1 }).map((i) => i.path), ['constructor'], 'a required one absent: an issue naming it');
    assert.deepEqual(check({ id: 1, constructor: 'x', toString: 5 }).map((i) => i.path), ['toString']);
  });

  it('fails keyset paging naming the field when the last record lacks it', () => {
    const keyset = keysetStrategy({ fields: ['constructor'], params: ['after'], recordsPath: '', stopOnShortPage: false, pageSizeParam: 'limit' });
    assert.throws(() => keyset.parse({ url: 'https://x/items?limit=2', headers: {}, body: [{ id: 1 }, { id: 2 }] }), /keyset field "constructor" is missing/);
  });

  it('tracks drift of record fields named like inherited ones without tripping over them', () => {
    const first = fingerprintOf([{ id: 1 }]).fingerprint;
    const { fingerprint, firstSeen } = fingerprintOf([{ id: 1, constructor: 'x', toString: 2 }]);
    assert.deepEqual(pageDrift(first, fingerprint, 2, firstSeen).map((f) => [f.kind, f.field]), [
      ['new-field', 'constructor'],
      ['new-field', 'toString'],
    ]);
    assert.deepEqual(runDrift(fingerprint, first).map((f) => [f.kind, f.field]), [
      ['vanished-field', 'constructor'],
      ['vanished-field', 'toString'],
    ]);
    const proto = fingerprintOf([JSON.parse('{"id":1,"__proto__":{"x":1}}')]).fingerprint;
    assert.deepEqual(Object.keys(proto), ['__proto__', '__proto__.x', 'id'], 'a field named __proto__ is described, not made the prototype');
  });
});
