import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { keyGaps } from '../../src/integrity/key-gaps';
import { fingerprintOf } from '../../src/integrity/fingerprint';
import { keysetStrategy } from '../../src/pagination/keyset';
import { cutBelow, MAX_RECORD_DEPTH, nestsDeeperThan, parseJson, stageableRecords, stringifyJson } from '../../src/pagination/record-json';
import { canonicalJson, keyPage } from '../../src/sinks/page-rows';
import { mayHoldUnstorableText } from '../../src/sinks/record-admission';
import { kindOf, mergeKinds } from '../../src/sinks/view-shape';

const BIG_IDS = ['9007199254740993', '9007199254740992', '9007199254740995', '9007199254740996', '12345678901234567890', '12345678901234567891'];
const bigPage = `[${BIG_IDS.map((id) => `{"id":${id},"owner":{"id":${id}}}`).join(',')}]`;

/** A record nested `levels` deep: {"a":{"a":…1…}}. */
function nested(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

describe('record JSON', () => {
  it('keeps the digits of integers beyond 2^53, in values and nested values, through parse and stringify', () => {
    const records = parseJson(bigPage) as Array<{ id: unknown; owner: { id: unknown } }>;
    assert.deepEqual(records.map((r) => String(r.id)), BIG_IDS);
    assert.equal(typeof records[0]?.id, 'bigint');
    assert.equal(stringifyJson(records), bigPage);
    assert.equal(canonicalJson(records[4]), '{"id":12345678901234567890,"owner":{"id":12345678901234567890}}');
  });

  it('reads safe numbers, fractions and exponents as JSON.parse does', () => {
    const text = '{"a":9007199254740991,"b":1.5,"c":1e400,"d":-0.25,"e":"12345678901234567890","f":12345678901234567890.5}';
    const parsed = parseJson(text) as Record<string, unknown>;
    const native = JSON.parse(text) as Record<string, unknown>;
    assert.deepEqual(parsed, native);
    assert.throws(() => parseJson('{"a":12345678901234567890,'), SyntaxError);
  });

  it('keys six ids above 2^53 as six rows, where JSON.parse rounds them to three', () => {
    assert.equal(new Set((JSON.parse(bigPage) as Array<{ id: number }>).map((r) => r.id)).size, 3);
    const { rows, rejected } = keyPage(parseJson(bigPage) as unknown[], ['id']);
    assert.deepEqual(rows.map((r) => r.keyValues[0]), BIG_IDS);
    assert.equal(rejected.length, 0);
    assert.deepEqual(fingerprintOf(parseJson(bigPage) as unknown[]).fingerprint, { id: ['number'], owner: ['object'], 'owner.id': ['number'] });
  });

  it('carries a keyset cursor beyond 2^53 with its digits', () => {
    const strategy = keysetStrategy({ fields: ['id'], params: ['after_id'], recordsPath: '', stopOnShortPage: false, pageSizeParam: 'per_page' });
    const url = 'http://127.0.0.1/users?per_page=2';
    const page = strategy.parse({ url, headers: {}, body: parseJson('[{"id":9007199254740993},{"id":9007199254740995}]') });
    assert.ok(page.next !== null);
    const next = strategy.requestUrl({ baseUrl: 'http://127.0.0.1', path: '/users', pageSize: 2, query: {} } as never, page.next);
    assert.equal(new URL(next).searchParams.get('after_id'), '9007199254740995');
  });

  it('finds key gaps between ids beyond 2^53 exactly', () => {
    assert.deepEqual(keyGaps(['9007199254740993', '9007199254740995', '9007199254740996'], 0), [{ from: '9007199254740994', to: '9007199254740994', missing: 1 }]);
    assert.deepEqual(keyGaps(['1', '5'], 2), [{ from: 2, to: 4, missing: 3 }]);
  });

  it('types an integer column beyond 2^53 DECIMAL, never BIGINT (which would overflow) or DOUBLE (which rounds)', () => {
    assert.equal(kindOf(12345678901234567890n), 'decimal');
    assert.equal(kindOf(9007199254740991), 'decimal');
    assert.equal(kindOf(42), 'bigint');
    assert.equal(mergeKinds('bigint', 'decimal'), 'decimal');
    assert.equal(mergeKinds('decimal', 'double'), 'double');
    assert.equal(mergeKinds('decimal', 'text'), 'text');
  });
});

describe('keys keep their JSON type', () => {
  it('quarantines a string key where the first key stored was a number, naming the field and both types', () => {
    const { rows, rejected, keyTypes } = keyPage([{ id: 1 }, { id: '1' }, { id: 2 }], ['id']);
    assert.deepEqual(rows.map((r) => r.keyValues), [['1'], ['2']]);
    assert.deepEqual(keyTypes, { id: 'number' });
    assert.deepEqual(rejected.map((r) => [r.index, r.key, r.reason]), [[1, null, `id: a string ("1") where this resource's keys are numbers; keys keep their JSON type`]]);
  });

  it('judges a page by the types the table already holds', () => {
    const { rows, rejected } = keyPage([{ id: 1 }, { id: 'a' }], ['id'], undefined, { keyTypes: { id: 'string' } });
    assert.deepEqual(rows.map((r) => r.keyValues), [['a']]);
    assert.equal(rejected[0]?.reason, `id: a number (1) where this resource's keys are strings; keys keep their JSON type`);
  });
});

describe('records no store can hold', () => {
  it('quarantines a record nested deeper than the limit and keys the page’s others', () => {
    const body = `[{"id":1},{"id":2,"deep":${nested(100_000)}},{"id":3}]`;
    const records = JSON.parse(body) as unknown[];
    const staged = parseJson(stringifyJson(stageableRecords(records))) as unknown[];
    const { rows, rejected } = keyPage(staged, ['id']);
    assert.deepEqual(rows.map((r) => r.keyValues[0]), ['1', '3']);
    assert.deepEqual(rejected.map((r) => [r.index, r.reason]), [[1, '(record): record nests deeper than 1,000 levels']]);
    assert.ok((rejected[0]?.recordJson.length ?? 0) < 20_000, 'the quarantine keeps the first levels, not 100,000');
  });

  it('admits a record exactly at the limit', () => {
    const record = JSON.parse(`{"id":1,"deep":${nested(MAX_RECORD_DEPTH - 2)}}`) as unknown;
    assert.equal(nestsDeeperThan(record, MAX_RECORD_DEPTH), false);
    assert.equal(keyPage([record], ['id']).rows.length, 1);
    assert.equal(nestsDeeperThan(cutBelow(JSON.parse(nested(5000)), 3), 3), false);
  });

  it('fails to parse a 100,000-deep body holding big integers with a nesting error, not a stack overflow', () => {
    assert.throws(() => parseJson(`[{"id":12345678901234567890,"deep":${nested(100_000)}}]`), { name: 'JsonNestingError' });
  });

  it('quarantines lone surrogates on both sinks and U+0000 on PostgreSQL, naming where', () => {
    const records = JSON.parse('[{"id":1,"name":"a\\ud800b"},{"id":2,"tags":["x","\\udc00"]},{"id":3,"note":"a\\u0000b"},{"id":4,"name":"\\ud83d\\ude00"},{"id":5,"x\\ud800":1}]') as unknown[];
    const postgres = keyPage(records, ['id'], undefined, { jsonb: true });
    assert.deepEqual(postgres.rows.map((r) => r.keyValues[0]), ['4']);
    assert.deepEqual(postgres.rejected.map((r) => r.reason), [
      'name: string contains a lone surrogate (\\ud800), which PostgreSQL cannot store and DuckDB cannot read as JSON',
      'tags[1]: string contains a lone surrogate (\\udc00), which PostgreSQL cannot store and DuckDB cannot read as JSON',
      'note: string contains U+0000 (\\u0000), which PostgreSQL cannot store',
      '(record): field name "x\\ud800" contains a lone surrogate (\\ud800), which PostgreSQL cannot store and DuckDB cannot read as JSON',
    ]);
    const duckdb = keyPage(records, ['id']);
    assert.deepEqual(duckdb.rows.map((r) => r.keyValues[0]), ['3', '4']);
  });
});

describe('the page-level text check', () => {
  it('spots the escapes JSON.stringify writes for a lone surrogate or U+0000, and nothing in plain text', () => {
    assert.equal(mayHoldUnstorableText(JSON.stringify([{ name: 'a\ud800' }])), true);
    assert.equal(mayHoldUnstorableText(JSON.stringify([{ name: 'a\u0000' }])), true);
    assert.equal(mayHoldUnstorableText(JSON.stringify([{ name: 'café 😀', id: 1 }])), false);
  });
});
