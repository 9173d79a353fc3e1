import type { Row } from '../dataset';
import { assignmentExists, byAssignment, byCourse, courseExists, intParam, linkFrom, rowsAfter, type SimContext, type SimResponse, type SimRoute } from '../route';
import { numberedPageRules } from './canvas-rules';

/**
 * Canvas-style Link-header collections. Numbered pages are offsets (and drift when rows move, as the real API
 * does); bookmark pages are keyset positions hidden in an opaque `bookmark:` token, with no `rel="last"`.
 * The request rules Canvas enforces are in canvas-rules.ts; what it serves instead of refusing is served here.
 */
export const CANVAS_DEFAULT_PER_PAGE = 10;
export const CANVAS_MAX_PER_PAGE = 100;

/** `per_page` as Api.per_page_for reads it: Ruby's `to_i` (leading digits, else 0), then brought into 1…max, never refused. */
function perPageOf(url: URL): number {
  const asked = url.searchParams.get('per_page');
  const number = asked === null ? CANVAS_DEFAULT_PER_PAGE : Number.parseInt(asked, 10) || 0;
  return Math.min(Math.max(1, number), CANVAS_MAX_PER_PAGE);
}

function linkHeader(links: Array<[string, string]>): string {
  return links.map(([rel, href]) => `<${href}>; rel="${rel}"`).join(',');
}

function numbered(rows: Row[], ctx: SimContext): SimResponse {
  const perPage = perPageOf(ctx.url);
  const page = Math.max(1, intParam(ctx.url, 'page', 1));
  const lastPage = Math.max(1, Math.ceil(rows.length / perPage));
  const at = (p: number): string => linkFrom(ctx, { page: String(p), per_page: String(perPage) });
  const links: Array<[string, string]> = [['current', at(page)]];
  if (page < lastPage) links.push(['next', at(page + 1)]);
  if (page > 1) links.push(['prev', at(page - 1)]);
  links.push(['first', at(1)], ['last', at(lastPage)]);
  return { status: 200, headers: { link: linkHeader(links) }, body: rows.slice((page - 1) * perPage, page * perPage) };
}

export function encodeBookmark(lastId: number): string {
  return `bookmark:${Buffer.from(JSON.stringify([lastId])).toString('base64url')}`;
}

/** A bookmark Canvas cannot decode is no bookmark: the first page is served (BookmarkedCollection::Collection#page_to_bookmark). */
function decodeBookmark(page: string | null): number {
  if (page === null || !page.startsWith('bookmark:')) return 0;
  try {
    return Number((JSON.parse(Buffer.from(page.slice('bookmark:'.length), 'base64url').toString()) as [number])[0]) || 0;
  } catch {
    return 0;
  }
}

function bookmarked(rows: Row[], ctx: SimContext): SimResponse {
  if (ctx.expireCursor && ctx.url.searchParams.get('page')?.startsWith('bookmark:')) {
    return { status: 400, body: { errors: [{ message: 'invalid bookmark: it has expired' }] } };
  }
  const perPage = perPageOf(ctx.url);
  const { page, more } = rowsAfter(rows, decodeBookmark(ctx.url.searchParams.get('page')), perPage);
  const at = (p: string): string => linkFrom(ctx, { page: p, per_page: String(perPage) });
  const links: Array<[string, string]> = [['current', at(ctx.url.searchParams.get('page') ?? 'first')]];
  const last = page[page.length - 1];
  if (last !== undefined && more) links.push(['next', at(encodeBookmark(last.id))]);
  links.push(['first', at('first')]);
  return { status: 200, headers: { link: linkHeader(links) }, body: page };
}

const unauthorized = (): SimResponse => ({
  status: 401,
  headers: { 'www-authenticate': 'Bearer realm="canvas-lms"' },
  body: { errors: [{ message: 'Invalid access token.' }] },
});

export const canvasRoutes: SimRoute[] = [
  { pattern: /^\/api\/v1\/accounts\/\d+\/users$/, collection: 'users', serve: bookmarked, unauthorized },
  { pattern: /^\/api\/v1\/courses$/, collection: 'courses', serve: numbered, unauthorized, rules: numberedPageRules('/api/v1/courses') },
  { pattern: /^\/api\/v1\/courses\/(\d+)\/enrollments$/, collection: 'enrollments', filter: byCourse, serve: bookmarked, unauthorized, parentExists: courseExists },
  { pattern: /^\/api\/v1\/courses\/(\d+)\/assignments$/, collection: 'assignments', filter: byCourse, serve: bookmarked, unauthorized, parentExists: courseExists },
  {
    pattern: /^\/api\/v1\/courses\/(\d+)\/assignments\/(\d+)\/submissions$/,
    collection: 'submissions',
    filter: byAssignment,
    serve: numbered,
    unauthorized,
    parentExists: assignmentExists,
    rules: numberedPageRules('/api/v1/courses/1/assignments/1/submissions'),
  },
  {
    pattern: /^\/api\/v1\/courses\/(\d+)\/students\/submissions$/,
    collection: 'submissions',
    filter: byCourse,
    serve: numbered,
    unauthorized,
    rules: numberedPageRules('/api/v1/courses/1/students/submissions'),
  },
];
