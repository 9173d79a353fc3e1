import type { Row } from './dataset';

/**
 * Canvas-style paging of an id-ordered list. Numbered pages are offsets (and drift when rows move, as the
 * real API does); bookmark pages are keyset positions hidden in an opaque `bookmark:` token, and their Link
 * header has no `rel="last"`.
 */

export const CANVAS_DEFAULT_PER_PAGE = 10;
export const CANVAS_MAX_PER_PAGE = 100;

export interface CanvasPage {
  rows: Row[];
  link: string;
}

function perPageOf(url: URL): number {
  const asked = Number(url.searchParams.get('per_page') ?? CANVAS_DEFAULT_PER_PAGE);
  if (!Number.isFinite(asked) || asked < 1) return CANVAS_DEFAULT_PER_PAGE;
  return Math.min(Math.floor(asked), CANVAS_MAX_PER_PAGE);
}

function withPage(url: URL, page: string, perPage: number): string {
  const copy = new URL(url);
  copy.searchParams.set('page', page);
  copy.searchParams.set('per_page', String(perPage));
  return copy.toString();
}

function linkHeader(links: Array<[string, string]>): string {
  return links.map(([rel, href]) => `<${href}>; rel="${rel}"`).join(',');
}

export function numberedPage(rows: Row[], url: URL): CanvasPage {
  const perPage = perPageOf(url);
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  const lastPage = Math.max(1, Math.ceil(rows.length / perPage));
  const slice = rows.slice((page - 1) * perPage, page * perPage);
  const links: Array<[string, string]> = [['current', withPage(url, String(page), perPage)]];
  if (page < lastPage) links.push(['next', withPage(url, String(page + 1), perPage)]);
  if (page > 1) links.push(['prev', withPage(url, String(page - 1), perPage)]);
  links.push(['first', withPage(url, '1', perPage)], ['last', withPage(url, String(lastPage), perPage)]);
  return { rows: slice, link: linkHeader(links) };
}

export function encodeBookmark(lastId: number): string {
  return `bookmark:${Buffer.from(JSON.stringify([lastId])).toString('base64url')}`;
}

function decodeBookmark(page: string | null): number {
  if (page === null || page === 'first' || !page.startsWith('bookmark:')) return 0;
  try {
    const [lastId] = JSON.parse(Buffer.from(page.slice('bookmark:'.length), 'base64url').toString()) as [number];
    return Number(lastId) || 0;
  } catch {
    return 0;
  }
}

export function bookmarkPage(rows: Row[], url: URL): CanvasPage {
  const perPage = perPageOf(url);
  const after = decodeBookmark(url.searchParams.get('page'));
  const start = rows.findIndex((r) => r.id > after);
  const slice = start < 0 ? [] : rows.slice(start, start + perPage);
  const current = url.searchParams.get('page') ?? 'first';
  const links: Array<[string, string]> = [['current', withPage(url, current, perPage)]];
  const last = slice[slice.length - 1];
  const more = start >= 0 && start + perPage < rows.length;
  if (last !== undefined && more) links.push(['next', withPage(url, encodeBookmark(last.id), perPage)]);
  links.push(['first', withPage(url, 'first', perPage)]);
  return { rows: slice, link: linkHeader(links) };
}
