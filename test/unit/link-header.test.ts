import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { linkHeaderStrategy } from '../../src/pagination/link-header';
import { PageFormatError } from '../../src/pagination/types';

const strategy = linkHeaderStrategy({ pageSizeParam: 'per_page' });
const base = 'https://school.instructure.com/api/v1/courses/7/enrollments';

describe('Link-header pagination', () => {
  it('builds the first request from base URL, path, page size and repeated query parameters', () => {
    const url = strategy.requestUrl(
      { baseUrl: 'https://school.instructure.com/api/v1/', path: '/courses/7/enrollments', pageSize: 100, query: { 'include[]': ['email', 'avatar_url'], state: 'active' } },
      null,
    );
    assert.equal(url, `${base}?include%5B%5D=email&include%5B%5D=avatar_url&state=active&per_page=100`);
  });

  it('follows an opaque bookmark page exactly as given, with no rel="last"', () => {
    const next = `${base}?page=bookmark:WzE1MDld&per_page=100`;
    const page = strategy.parse({
      url: `${base}?page=first&per_page=100`,
      headers: { link: `<${base}?page=first&per_page=100>; rel="current",<${next}>; rel="next",<${base}?page=first&per_page=100>; rel="first"` },
      body: [{ id: 1 }, { id: 2 }],
    });
    assert.equal(page.records.length, 2);
    assert.deepEqual(page.next, { kind: 'url', url: next });
  });

  it('keeps repeated and duplicated query parameters of a next link untouched', () => {
    const next = `${base}?include[]=email&include[]=email&page=2&per_page=10`;
    const page = strategy.parse({ url: base, headers: { link: `<${next}>; rel="next"` }, body: [{ id: 1 }] });
    assert.equal(page.next?.kind === 'url' && new URL(page.next.url).searchParams.getAll('include[]').length, 2);
  });

  it('resolves a relative next link against the request URL', () => {
    const page = strategy.parse({ url: `${base}?page=1`, headers: { link: '</api/v1/courses/7/enrollments?page=2>; rel="next"' }, body: [{ id: 1 }] });
    assert.deepEqual(page.next, { kind: 'url', url: `${base}?page=2` });
  });

  it('is done when there is no next link, even if rel="last" is missing', () => {
    const page = strategy.parse({ url: base, headers: { link: `<${base}?page=first>; rel="first"` }, body: [{ id: 1 }] });
    assert.equal(page.next, null);
  });

  it('is done on an empty page even when a next link is sent', () => {
    const page = strategy.parse({ url: base, headers: { link: `<${base}?page=9>; rel="next"` }, body: [] });
    assert.equal(page.next, null);
  });

  it('is done when the Link header is absent', () => {
    assert.equal(strategy.parse({ url: base, headers: {}, body: [{ id: 1 }] }).next, null);
  });

  it('resumes from a next-page URL cursor as is', () => {
    const url = `${base}?page=bookmark:abc`;
    assert.equal(strategy.requestUrl({ baseUrl: 'https://x', path: '/y' }, { kind: 'url', url }), url);
  });

  it('rejects a body that is not a JSON array', () => {
    assert.throws(() => strategy.parse({ url: base, headers: {}, body: { errors: [] } }), PageFormatError);
  });
});
