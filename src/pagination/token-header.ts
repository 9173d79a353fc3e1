import { firstPageUrl } from './first-request';
import { recordsAt } from './records';
import type { PageCursor, PaginationStrategy, PageResponse, ParsedPage, RequestContext } from './types';

export interface TokenHeaderOptions {
  /** Response header with the next token (lowercase), e.g. Ed-Fi's `next-page-token`. */
  header: string;
  /** Query parameter that sends it back, e.g. `pageToken`. */
  tokenParam: string;
  pageSizeParam: string;
  recordsPath: string;
}

/**
 * A response header carries an opaque next-page token, sent back untouched as a query parameter. Ed-Fi sends
 * the header even on the last non-empty page and ends with `200 []`, so only an empty page (or a missing
 * header) ends the traversal.
 */
export function tokenHeaderStrategy(options: TokenHeaderOptions): PaginationStrategy {
  return {
    requestUrl(ctx: RequestContext, cursor: PageCursor | null): string {
      if (cursor?.kind === 'url') return cursor.url;
      return firstPageUrl(ctx, options.pageSizeParam, cursor === null ? {} : { [options.tokenParam]: cursor.token });
    },
    parse(response: PageResponse): ParsedPage {
      const records = recordsAt(response.body, options.recordsPath, response.url);
      const token = response.headers[options.header.toLowerCase()];
      if (records.length === 0 || token === undefined || token.trim() === '') return { records, next: null };
      return { records, next: { kind: 'token', token } };
    },
  };
}
