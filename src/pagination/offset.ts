import { firstPageUrl } from './first-request';
import { intParam, recordsAt } from './records';
import type { PageCursor, PaginationStrategy, PageResponse, ParsedPage, RequestContext } from './types';

export interface OffsetOptions {
  offsetParam: string;
  limitParam: string;
  recordsPath: string;
  /** End on a page shorter than asked for, where the API documents that (Moodle `limitnumber`). */
  stopOnShortPage: boolean;
}

/**
 * limit/offset paging (Ed-Fi's default, OneRoster, Blackboard, Moodle). The cursor is the next offset: this
 * page's offset plus the records it actually returned, so a server that lowers the limit is still walked
 * without gaps. Done on an empty page, or a short one where the API promises that means the end.
 * Offsets drift when rows are inserted or deleted during a run; prefer a keyset or cursor strategy where the
 * API has one.
 */
export function offsetStrategy(options: OffsetOptions): PaginationStrategy {
  return {
    requestUrl(ctx: RequestContext, cursor: PageCursor | null): string {
      const offset = cursor?.kind === 'token' ? cursor.token : '0';
      return firstPageUrl(ctx, options.limitParam, { [options.offsetParam]: offset });
    },
    parse(response: PageResponse): ParsedPage {
      const records = recordsAt(response.body, options.recordsPath, response.url);
      const limit = intParam(response.url, options.limitParam, Infinity);
      if (records.length === 0 || (options.stopOnShortPage && records.length < limit)) return { records, next: null };
      const offset = intParam(response.url, options.offsetParam, 0);
      return { records, next: { kind: 'token', token: String(offset + records.length) } };
    },
  };
}
