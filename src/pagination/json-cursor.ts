import { firstPageUrl, resolveAgainst } from './first-request';
import { readJsonPath } from './json-path';
import { recordsAt } from './records';
import { PageFormatError, type PageCursor, type PaginationStrategy, type PageResponse, type ParsedPage, type RequestContext } from './types';

export interface JsonCursorOptions {
  recordsPath: string;
  nextCursorPath?: string;
  nextUrlPath?: string;
  hasMorePath?: string;
  cursorParam: string;
  pageSizeParam: string;
}

/**
 * Cursor paging described by the JSON body: records at `recordsPath`, and either an opaque cursor at
 * `nextCursorPath` (sent back in `cursorParam`) or a next URL at `nextUrlPath`. Done on a null or empty
 * cursor, `has_more: false`, or an empty page. Cursors are sent back untouched.
 */
export function jsonCursorStrategy(options: JsonCursorOptions): PaginationStrategy {
  return {
    requestUrl(ctx: RequestContext, cursor: PageCursor | null): string {
      if (cursor === null) return firstPageUrl(ctx, options.pageSizeParam);
      if (cursor.kind === 'url') return cursor.url;
      return firstPageUrl(ctx, options.pageSizeParam, { [options.cursorParam]: cursor.token });
    },
    parse(response: PageResponse): ParsedPage {
      const records = recordsAt(response.body, options.recordsPath, response.url);
      if (records.length === 0) return { records, next: null };
      if (options.hasMorePath !== undefined && readJsonPath(response.body, options.hasMorePath) === false) {
        return { records, next: null };
      }
      return { records, next: nextCursor(response, options) };
    },
  };
}

function nextCursor(response: PageResponse, options: JsonCursorOptions): PageCursor | null {
  if (options.nextUrlPath !== undefined) {
    const url = readJsonPath(response.body, options.nextUrlPath);
    if (typeof url === 'string' && url !== '') return { kind: 'url', url: resolveAgainst(url, response.url) };
    if (url !== undefined && url !== null && url !== '') throw new PageFormatError(`"${options.nextUrlPath}" is not a URL string`);
  }
  if (options.nextCursorPath !== undefined) {
    const token = readJsonPath(response.body, options.nextCursorPath);
    // A numeric cursor beyond 2^53 is read as a bigint (record-json.ts): its digits, unrounded.
    if (typeof token === 'number' || typeof token === 'bigint') return { kind: 'token', token: String(token) };
    if (typeof token === 'string' && token !== '') return { kind: 'token', token };
    if (token !== undefined && token !== null && token !== '') throw new PageFormatError(`"${options.nextCursorPath}" is not a string cursor`);
  }
  return null;
}
