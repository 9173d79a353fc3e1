import { FailureType } from '../failures';
/**
 * The position of a traversal between pages. It lives in workflow state, so it holds only what the API gave
 * us to continue: a next-page URL or an opaque token, never record values.
 */
export type PageCursor = { kind: 'url'; url: string } | { kind: 'token'; token: string };

/** What a strategy needs to build a request; the source preset has already applied its defaults. */
export interface RequestContext {
  baseUrl: string;
  path: string;
  pageSize?: number;
  query?: Record<string, string | number | boolean | string[]>;
}

/** The parts of an HTTP response that pagination reads. Header names are lowercase. */
export interface PageResponse {
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface ParsedPage {
  records: unknown[];
  /** Where the next page is, or null when the traversal is complete. */
  next: PageCursor | null;
}

export interface PaginationStrategy {
  requestUrl(ctx: RequestContext, cursor: PageCursor | null): string;
  parse(response: PageResponse): ParsedPage;
}

/** A response that cannot be read as a page of this strategy: the source is not what the spec says. */
export class PageFormatError extends Error {
  override name = FailureType.PageFormatError;
}

export function describeCursor(cursor: PageCursor | null): string | null {
  if (cursor === null) return null;
  return cursor.kind === 'url' ? cursor.url : cursor.token;
}
