import LinkHeader from 'http-link-header';
import { firstPageUrl, resolveAgainst } from './first-request';
import { PageFormatError, type PageCursor, type PaginationStrategy, type PageResponse, type ParsedPage, type RequestContext } from './types';

/**
 * RFC 8288 Link-header paging (Canvas and friends). The body is a bare JSON array; `rel="next"` names the next
 * page. Its URL is followed exactly as given: Canvas `page=bookmark:…` values are opaque, repeated query
 * parameters are kept, and `rel="last"` is never needed (bookmarked collections do not send it).
 * Done when there is no next link or a page comes back empty.
 */
export function linkHeaderStrategy(options: { pageSizeParam: string }): PaginationStrategy {
  return {
    requestUrl(ctx: RequestContext, cursor: PageCursor | null): string {
      if (cursor === null) return firstPageUrl(ctx, options.pageSizeParam);
      if (cursor.kind !== 'url') throw new PageFormatError('link-header paging resumes only from a next-page URL');
      return cursor.url;
    },
    parse(response: PageResponse): ParsedPage {
      if (!Array.isArray(response.body)) {
        throw new PageFormatError(`expected a JSON array body from ${response.url}, got ${typeof response.body}`);
      }
      const records: unknown[] = response.body;
      const next = nextLink(response.headers['link']);
      if (records.length === 0 || next === undefined) return { records, next: null };
      return { records, next: { kind: 'url', url: resolveAgainst(next, response.url) } };
    },
  };
}

function nextLink(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  let parsed: LinkHeader;
  try {
    parsed = LinkHeader.parse(header);
  } catch (error) {
    throw new PageFormatError(`unreadable Link header: ${(error as Error).message}`);
  }
  return parsed.rel('next')[0]?.uri;
}
