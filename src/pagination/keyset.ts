import { firstPageUrl } from './first-request';
import { parseJson, stringifyJson } from './record-json';
import { readJsonPath } from './json-path';
import { recordsAt } from './records';
import { PageFormatError, type PageCursor, type PaginationStrategy, type PageResponse, type ParsedPage, type RequestContext } from './types';

export interface KeysetOptions {
  /** Sort key fields of a record, most significant first: `["id"]` or `["updated_at", "id"]` for ties. */
  fields: string[];
  /** Query parameters that carry the last key's values, one per field: `["after_id"]`. */
  params: string[];
  recordsPath: string;
  stopOnShortPage: boolean;
  pageSizeParam: string;
}

/**
 * Keyset paging: ask for records after the last key seen (`id > last`, or `(updated_at, id) > (t, id)`), in
 * ascending key order. Stable under inserts and deletes, and resumable from any persisted key. The cursor is
 * our own: the last record's key values, as JSON.
 */
export function keysetStrategy(options: KeysetOptions): PaginationStrategy {
  return {
    requestUrl(ctx: RequestContext, cursor: PageCursor | null): string {
      if (cursor === null) return firstPageUrl(ctx, options.pageSizeParam);
      if (cursor.kind !== 'token') throw new PageFormatError('keyset paging resumes only from a key');
      const values = parseJson(cursor.token) as string[];
      return firstPageUrl(ctx, options.pageSizeParam, Object.fromEntries(options.params.map((p, i) => [p, values[i] ?? ''])));
    },
    parse(response: PageResponse): ParsedPage {
      const records = recordsAt(response.body, options.recordsPath, response.url);
      const pageSize = Number(new URL(response.url).searchParams.get(options.pageSizeParam) ?? Infinity);
      const last = records[records.length - 1];
      if (last === undefined || (options.stopOnShortPage && records.length < pageSize)) return { records, next: null };
      const values = options.fields.map((field) => {
        const value = readJsonPath(last, field);
        if (value === undefined || value === null) throw new PageFormatError(`keyset field "${field}" is missing from the last record of ${response.url}`);
        return String(value);
      });
      return { records, next: { kind: 'token', token: stringifyJson(values) } };
    },
  };
}
