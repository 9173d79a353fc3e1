import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { keysetStrategy } from '../../src/pagination/keyset';
import { tokenHeaderStrategy } from '../../src/pagination/token-header';
import { readTotal } from '../../src/pagination/total';
import { PageFormatError } from '../../src/pagination/types';
import { splitIdRange } from '../../src/workflows/id-ranges';

describe('keyset pagination', () => {
  const compound = keysetStrategy({ fields: ['updated_at', 'id'], params: ['updated_after', 'after_id'], pageSizeParam: 'limit', recordsPath: '', stopOnShortPage: false });
  const ctx = { baseUrl: 'https://api.example.edu', path: '/events', pageSize: 2 };

  it('asks for what follows the last key, compound keys included (ties broken by id)', () => {
    const page = compound.parse({ url: 'https://api.example.edu/events?limit=2', headers: {}, body: [{ id: 9, updated_at: 't1' }, { id: 4, updated_at: 't2' }] });
    assert.deepEqual(page.next, { kind: 'token', token: '["t2","4"]' });
    assert.equal(compound.requestUrl(ctx, page.next), 'https://api.example.edu/events?limit=2&updated_after=t2&after_id=4');
  });

  it('ends on an empty page', () => {
    assert.equal(compound.parse({ url: 'https://x/e?limit=2', headers: {}, body: [] }).next, null);
  });

  it('names a key field missing from the last record', () => {
    assert.throws(() => compound.parse({ url: 'https://x/e', headers: {}, body: [{ id: 1 }] }), (e: unknown) => e instanceof PageFormatError && /"updated_at"/.test(e.message));
  });
});

describe('token-header pagination (Ed-Fi)', () => {
  const edfi = tokenHeaderStrategy({ header: 'Next-Page-Token', tokenParam: 'pageToken', pageSizeParam: 'pageSize', recordsPath: '' });
  const ctx = { baseUrl: 'https://ods.example.org/data/v3', path: '/ed-fi/students', pageSize: 500, query: { schoolId: '1' } };

  it('sends the header token back untouched, with the same filters and page size', () => {
    const page = edfi.parse({ url: 'https://ods/x', headers: { 'next-page-token': 'eyJhIjo1MDB9+/=' }, body: [{ id: 1 }] });
    assert.deepEqual(page.next, { kind: 'token', token: 'eyJhIjo1MDB9+/=' });
    assert.equal(edfi.requestUrl(ctx, page.next), 'https://ods.example.org/data/v3/ed-fi/students?schoolId=1&pageSize=500&pageToken=eyJhIjo1MDB9%2B%2F%3D');
  });

  it('keeps going on a last non-empty page that still carries a token, and ends on 200 []', () => {
    assert.notEqual(edfi.parse({ url: 'https://ods/x', headers: { 'next-page-token': 'abc' }, body: [{ id: 1 }] }).next, null);
    assert.equal(edfi.parse({ url: 'https://ods/x', headers: { 'next-page-token': 'abc' }, body: [] }).next, null);
  });

  it('ends when the header is missing', () => {
    assert.equal(edfi.parse({ url: 'https://ods/x', headers: {}, body: [{ id: 1 }] }).next, null);
  });
});

describe('totals', () => {
  it('reads a total from a header or the body, and ignores nonsense', () => {
    assert.equal(readTotal({ url: '', headers: { 'total-count': '50123' }, body: [] }, { header: 'Total-Count' }), 50_123);
    assert.equal(readTotal({ url: '', headers: {}, body: { meta: { total: 7 } } }, { path: 'meta.total' }), 7);
    assert.equal(readTotal({ url: '', headers: { 'x-total-count': 'many' }, body: [] }, { header: 'X-Total-Count' }), undefined);
    assert.equal(readTotal({ url: '', headers: {}, body: [] }, {}), undefined);
  });
});

describe('id ranges for keyset partitions', () => {
  it('covers the range exactly with contiguous, non-overlapping slices', () => {
    assert.deepEqual(splitIdRange(1, 8_000, 4), [
      { after: 0, upTo: 2_000 }, { after: 2_000, upTo: 4_000 }, { after: 4_000, upTo: 6_000 }, { after: 6_000, upTo: 8_000 },
    ]);
    assert.deepEqual(splitIdRange(10, 12, 5), [{ after: 9, upTo: 10 }, { after: 10, upTo: 11 }, { after: 11, upTo: 12 }]);
    const uneven = splitIdRange(1, 10, 3);
    assert.equal(uneven[0]?.after, 0);
    assert.equal(uneven[uneven.length - 1]?.upTo, 10);
    uneven.slice(1).forEach((r, i) => assert.equal(r.after, uneven[i]?.upTo));
  });
});
