import type { Row } from '../dataset';
import { intParam, type SimContext, type SimResponse, type SimRoute } from '../route';
import { BLACKBOARD_MAX_LIMIT, blackboardCollectionRules, restException } from './blackboard-rules';

/**
 * Blackboard Learn: `{results, paging: {nextPage}}` with a relative next link. `limit` above 100 is refused
 * (blackboard-rules.ts); a limit below 1, which Learn does not document, is served as one record a page.
 */
function serve(rows: Row[], ctx: SimContext): SimResponse {
  const limit = Math.max(1, intParam(ctx.url, 'limit', BLACKBOARD_MAX_LIMIT));
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

const unauthorized = (): SimResponse => restException(401, 'Bearer token is invalid');

const collection = (path: string, rows: SimRoute['collection']): SimRoute => ({
  pattern: new RegExp(`^${path}$`),
  collection: rows,
  serve,
  unauthorized,
  rules: blackboardCollectionRules(path),
});

export const blackboardRoutes: SimRoute[] = [collection('/learn/api/public/v1/users', 'users'), collection('/learn/api/public/v3/courses', 'courses')];
