import type { RequestContext } from './types';
import { FailureType } from '../failures';

/** The URL of a traversal's first page: base URL, resource path, page size and the resource's own query. */
export function firstPageUrl(ctx: RequestContext, pageSizeParam: string | undefined, extra: Record<string, string> = {}): string {
  const url = new URL(ctx.baseUrl.replace(/\/+$/, '') + ctx.path);
  for (const [name, value] of Object.entries(ctx.query ?? {})) {
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(name, item);
    else url.searchParams.set(name, String(value));
  }
  if (ctx.pageSize !== undefined && pageSizeParam !== undefined) url.searchParams.set(pageSizeParam, String(ctx.pageSize));
  for (const [name, value] of Object.entries(extra)) url.searchParams.set(name, value);
  return url.toString();
}

/** Next links may be relative; they resolve against the URL that produced them. */
export function resolveAgainst(link: string, requestUrl: string): string {
  return new URL(link, requestUrl).toString();
}

/** A next link that leaves the source's origin: following it would hand our token to another server. */
export class ForeignLinkError extends Error {
  override name = FailureType.ForeignLink;
}

/** Next links are followed only on the configured origin, so a redirecting server never receives our token. */
export function assertSameOrigin(next: string, baseUrl: string): void {
  const expected = new URL(baseUrl).origin;
  const actual = new URL(next).origin;
  if (actual !== expected) {
    throw new ForeignLinkError(`next page link ${next} points to ${actual}, outside the source origin ${expected}; refusing to follow it`);
  }
}
