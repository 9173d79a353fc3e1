import { firstPageUrl } from './first-request';
import { readJsonPath } from './json-path';
import { intParam, recordsAt } from './records';
import type { PageCursor, PaginationStrategy, PageResponse, ParsedPage, RequestContext } from './types';

export interface PageNumberOptions {
  pageParam: string;
  pageSizeParam: string;
  firstPage: number;
  recordsPath: string;
  /** Where the body says how many pages there are, if it does. */
  totalPagesPath?: string;
  stopOnShortPage: boolean;
}

/**
 * page/per_page paging. The cursor is the next page number. Done on an empty page, on the last page the body
 * announces, or on a short page where the API promises that means the end. Like offsets, page numbers drift
 * under inserts and deletes.
 */
export function pageNumberStrategy(options: PageNumberOptions): PaginationStrategy {
  return {
    requestUrl(ctx: RequestContext, cursor: PageCursor | null): string {
      const page = cursor?.kind === 'token' ? cursor.token : String(options.firstPage);
      return firstPageUrl(ctx, options.pageSizeParam, { [options.pageParam]: page });
    },
    parse(response: PageResponse): ParsedPage {
      const records = recordsAt(response.body, options.recordsPath, response.url);
      const page = intParam(response.url, options.pageParam, options.firstPage);
      const pageSize = intParam(response.url, options.pageSizeParam, Infinity);
      const totalPages = options.totalPagesPath === undefined ? undefined : Number(readJsonPath(response.body, options.totalPagesPath));
      const last =
        records.length === 0 ||
        (options.stopOnShortPage && records.length < pageSize) ||
        (totalPages !== undefined && Number.isFinite(totalPages) && page - options.firstPage + 1 >= totalPages);
      return { records, next: last ? null : { kind: 'token', token: String(page + 1) } };
    },
  };
}
