import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { offsetStrategy } from '../../src/pagination/offset';
import { pageNumberStrategy } from '../../src/pagination/page-number';
import { pagesByPosition } from '../../src/pagination/positional';

const ctx = { baseUrl: 'https://ods.example.org/data/v3', path: '/ed-fi/students', pageSize: 3, query: { schoolId: '255901' } };
const rows = (n: number): unknown[] => Array.from({ length: n }, (_, i) => ({ id: i + 1 }));

describe('offset pagination', () => {
  const offset = offsetStrategy({ offsetParam: 'offset', limitParam: 'limit', recordsPath: '', stopOnShortPage: false });

  it('starts at offset 0 with the limit and the filters, and resumes from an offset cursor', () => {
    assert.equal(offset.requestUrl(ctx, null), 'https://ods.example.org/data/v3/ed-fi/students?schoolId=255901&limit=3&offset=0');
    assert.equal(offset.requestUrl(ctx, { kind: 'token', token: '6' }), 'https://ods.example.org/data/v3/ed-fi/students?schoolId=255901&limit=3&offset=6');
  });

  it('advances by the records actually returned, so a server that lowers the limit leaves no gap', () => {
    const page = offset.parse({ url: 'https://x/y?limit=500&offset=1000', headers: {}, body: rows(100) });
    assert.deepEqual(page.next, { kind: 'token', token: '1100' });
  });

  it('ends on an empty page, not on a short one unless told', () => {
    assert.equal(offset.parse({ url: 'https://x/y?limit=3&offset=3', headers: {}, body: [] }).next, null);
    assert.notEqual(offset.parse({ url: 'https://x/y?limit=3&offset=3', headers: {}, body: rows(2) }).next, null);
    const moodle = offsetStrategy({ offsetParam: 'limitfrom', limitParam: 'limitnumber', recordsPath: '', stopOnShortPage: true });
    assert.equal(moodle.parse({ url: 'https://x/y?limitnumber=3&limitfrom=3', headers: {}, body: rows(2) }).next, null);
  });

  it('reads an envelope', () => {
    const oneroster = offsetStrategy({ offsetParam: 'offset', limitParam: 'limit', recordsPath: 'users', stopOnShortPage: false });
    assert.equal(oneroster.parse({ url: 'https://x/y?limit=3&offset=0', headers: {}, body: { users: rows(3) } }).records.length, 3);
  });
});

describe('page-number pagination', () => {
  const pages = pageNumberStrategy({ pageParam: 'page', pageSizeParam: 'per_page', firstPage: 1, recordsPath: 'items', totalPagesPath: 'total_pages', stopOnShortPage: false });

  it('asks for page 1, then the next number', () => {
    assert.equal(pages.requestUrl({ baseUrl: 'https://x', path: '/p', pageSize: 20 }, null), 'https://x/p?per_page=20&page=1');
    assert.deepEqual(pages.parse({ url: 'https://x/p?per_page=20&page=1', headers: {}, body: { items: rows(20), total_pages: 3 } }).next, { kind: 'token', token: '2' });
  });

  it('ends on the last page the body announces, or on an empty page', () => {
    assert.equal(pages.parse({ url: 'https://x/p?per_page=20&page=3', headers: {}, body: { items: rows(5), total_pages: 3 } }).next, null);
    assert.equal(pages.parse({ url: 'https://x/p?per_page=20&page=4', headers: {}, body: { items: [] } }).next, null);
  });

  it('counts pages from a zero-based first page', () => {
    const zero = pageNumberStrategy({ pageParam: 'p', pageSizeParam: 'n', firstPage: 0, recordsPath: '', totalPagesPath: 'pages', stopOnShortPage: false });
    assert.equal(zero.parse({ url: 'https://x/p?n=2&p=1', headers: {}, body: rows(2) }).next?.kind, 'token');
  });
});

describe('which traversals page by position', () => {
  const link = { type: 'link-header', pageSizeParam: 'per_page' } as const;
  it('offset and page numbers always; next links when they carry a numeric position, not a bookmark', () => {
    assert.equal(pagesByPosition({ type: 'offset', offsetParam: 'offset', limitParam: 'limit', recordsPath: '', stopOnShortPage: false }, null, 'https://x/y'), true);
    assert.equal(pagesByPosition(link, { kind: 'url', url: 'https://c/api/v1/courses?page=3&per_page=10' }, 'https://c/api/v1/courses?page=2'), true);
    assert.equal(pagesByPosition(link, { kind: 'url', url: 'https://c/api/v1/users?page=bookmark:WzEwXQ&per_page=10' }, 'https://c/api/v1/users'), false);
    assert.equal(pagesByPosition({ type: 'body-link', recordsPath: 'results', nextPath: 'paging.nextPage', pageSizeParam: 'limit' }, null, 'https://l/learn/api/public/v1/users?offset=200&limit=100'), true);
    assert.equal(pagesByPosition({ type: 'token-header', header: 'Next-Page-Token', tokenParam: 'pageToken', pageSizeParam: 'pageSize', recordsPath: '' }, { kind: 'token', token: 'abc' }, 'https://o/x?pageToken=1'), false);
  });
});
