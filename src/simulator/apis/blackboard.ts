import type { Row } from '../dataset';
import { intParam, type SimContext, type SimResponse, type SimRoute } from '../route';

/** Blackboard Learn: `{results, paging: {nextPage}}` with a relative next link; `limit` above 100 is refused. */
export const BLACKBOARD_MAX_LIMIT = 100;

function serve(rows: Row[], ctx: SimContext): SimResponse {
  const limit = intParam(ctx.url, 'limit', BLACKBOARD_MAX_LIMIT);
  if (limit < 1 || limit > BLACKBOARD_MAX_LIMIT) return { status: 400, body: { status: 400, message: `Invalid limit: must be between 1 and ${BLACKBOARD_MAX_LIMIT}` } };
  const offset = Math.max(0, intParam(ctx.url, 'offset', 0));
  const body: { results: Row[]; paging?: { nextPage: string } } = { results: rows.slice(offset, offset + limit) };
  if (offset + limit < rows.length) {
    const next = new URLSearchParams(ctx.url.searchParams);
    next.set('offset', String(offset + limit));
    next.set('limit', String(limit));
    body.paging = { nextPage: `${ctx.url.pathname}?${next.toString()}` };
  }
  return { status: 200, body };
}

const unauthorized = (): SimResponse => ({ status: 401, body: { status: 401, message: 'Bearer token is invalid' } });

export const blackboardRoutes: SimRoute[] = [
  { pattern: /^\/learn\/api\/public\/v1\/users$/, collection: 'users', serve, unauthorized },
  { pattern: /^\/learn\/api\/public\/v3\/courses$/, collection: 'courses', serve, unauthorized },
];
