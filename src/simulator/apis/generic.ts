import type { Row } from '../dataset';
import { intParam, rowsAfter, type SimContext, type SimResponse, type SimRoute } from '../route';

/** Plain JSON APIs: an opaque-cursor endpoint, a keyset endpoint (`after_id`, `max_id`) and a page-number endpoint. */
function cursor(rows: Row[], ctx: SimContext): SimResponse {
  const limit = Math.min(Math.max(1, intParam(ctx.url, 'limit', 50)), 1_000);
  const token = ctx.url.searchParams.get('cursor');
  const after = token === null ? 0 : Number(Buffer.from(token, 'base64url').toString()) || 0;
  const { page, more } = rowsAfter(rows, after, limit);
  const last = page[page.length - 1];
  return { status: 200, body: { data: page, next_cursor: more && last ? Buffer.from(String(last.id)).toString('base64url') : null, has_more: more } };
}

/** `after_id` (exclusive) and `max_id` (inclusive) bound the ids served, ascending. */
function keyset(rows: Row[], ctx: SimContext): SimResponse {
  const limit = Math.min(Math.max(1, intParam(ctx.url, 'limit', 50)), 1_000);
  const maxId = intParam(ctx.url, 'max_id', Infinity);
  return { status: 200, body: rowsAfter(rows.filter((r) => r.id <= maxId), intParam(ctx.url, 'after_id', 0), limit).page };
}

function pages(rows: Row[], ctx: SimContext): SimResponse {
  const perPage = Math.min(Math.max(1, intParam(ctx.url, 'per_page', 20)), 1_000);
  const page = Math.max(1, intParam(ctx.url, 'page', 1));
  return { status: 200, body: { items: rows.slice((page - 1) * perPage, page * perPage), total_pages: Math.ceil(rows.length / perPage), total: rows.length } };
}

export const genericRoutes: SimRoute[] = [
  { pattern: /^\/generic\/v1\/records$/, collection: 'records', serve: cursor },
  { pattern: /^\/generic\/v1\/events$/, collection: 'records', serve: keyset },
  { pattern: /^\/generic\/v1\/pages$/, collection: 'records', serve: pages },
];
