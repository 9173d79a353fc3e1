import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { jsonCursorStrategy } from '../../src/pagination/json-cursor';
import { PageFormatError } from '../../src/pagination/types';

const ctx = { baseUrl: 'https://api.example.edu/v2', path: '/attendance', pageSize: 50 };
const url = 'https://api.example.edu/v2/attendance?limit=50';

describe('JSON-cursor pagination', () => {
  const cursor = jsonCursorStrategy({ recordsPath: 'data', nextCursorPath: 'meta.next_cursor', hasMorePath: 'meta.has_more', cursorParam: 'cursor', pageSizeParam: 'limit' });

  it('reads records and an opaque next cursor, and sends the cursor back untouched', () => {
    const page = cursor.parse({ url, headers: {}, body: { data: [{ id: 1 }], meta: { next_cursor: 'eyJpZCI6MX0=', has_more: true } } });
    assert.deepEqual(page.next, { kind: 'token', token: 'eyJpZCI6MX0=' });
    assert.equal(cursor.requestUrl(ctx, page.next), 'https://api.example.edu/v2/attendance?limit=50&cursor=eyJpZCI6MX0%3D');
  });

  it('is done when has_more is false, whatever the cursor says', () => {
    const page = cursor.parse({ url, headers: {}, body: { data: [{ id: 1 }], meta: { next_cursor: 'x', has_more: false } } });
    assert.equal(page.next, null);
  });

  it('is done on a null or empty cursor', () => {
    assert.equal(cursor.parse({ url, headers: {}, body: { data: [{ id: 1 }], meta: { next_cursor: null, has_more: true } } }).next, null);
    assert.equal(cursor.parse({ url, headers: {}, body: { data: [{ id: 1 }], meta: { next_cursor: '' } } }).next, null);
  });

  it('is done on an empty page', () => {
    assert.equal(cursor.parse({ url, headers: {}, body: { data: [], meta: { next_cursor: 'x', has_more: true } } }).next, null);
  });

  it('follows a next URL in the body, relative or absolute', () => {
    const links = jsonCursorStrategy({ recordsPath: 'results', nextUrlPath: 'paging.nextPage', cursorParam: 'cursor', pageSizeParam: 'limit' });
    const page = links.parse({ url, headers: {}, body: { results: [{ id: 1 }], paging: { nextPage: '/v2/attendance?offset=50' } } });
    assert.deepEqual(page.next, { kind: 'url', url: 'https://api.example.edu/v2/attendance?offset=50' });
    assert.equal(links.requestUrl(ctx, page.next), 'https://api.example.edu/v2/attendance?offset=50');
  });

  it('reads a bare array body with an empty records path', () => {
    const bare = jsonCursorStrategy({ recordsPath: '', nextCursorPath: 'x', cursorParam: 'cursor', pageSizeParam: 'limit' });
    assert.equal(bare.parse({ url, headers: {}, body: [{ id: 1 }, { id: 2 }] }).records.length, 2);
  });

  it('names the path when the records are not an array', () => {
    assert.throws(() => cursor.parse({ url, headers: {}, body: { data: { id: 1 } } }), (e: unknown) => e instanceof PageFormatError && /"data"/.test(e.message));
  });
});
