import type { Row } from '../dataset';
import { intParam, linkFrom, type SimContext, type SimResponse, type SimRoute } from '../route';
import { imsxStatus, onerosterCollectionRules } from './oneroster-rules';

/**
 * OneRoster 1.2 rostering collections: limit (default 100) / offset, `X-Total-Count`, a Link header, an envelope.
 * The rules a limit and offset must keep are in oneroster-rules.ts.
 */
function envelope(key: string) {
  return (rows: Row[], ctx: SimContext): SimResponse => {
    const limit = Math.max(1, intParam(ctx.url, 'limit', 100));
    const offset = Math.max(0, intParam(ctx.url, 'offset', 0));
    const headers: Record<string, string> = { 'x-total-count': String(rows.length) };
    if (offset + limit < rows.length) headers['link'] = `<${linkFrom(ctx, { offset: String(offset + limit), limit: String(limit) })}>; rel="next"`;
    return { status: 200, headers, body: { [key]: rows.slice(offset, offset + limit) } };
  };
}

const unauthorized = (): SimResponse => imsxStatus(401, 'Unauthorized', 'unauthorisedrequest');

const base = '/ims/oneroster/rostering/v1p2';
const collection = (name: string, rows: SimRoute['collection']): SimRoute => ({
  pattern: new RegExp(`^${base}/${name}$`),
  collection: rows,
  serve: envelope(name),
  unauthorized,
  rules: onerosterCollectionRules(`${base}/${name}`),
});

export const onerosterRoutes: SimRoute[] = [collection('users', 'users'), collection('enrollments', 'enrollments'), collection('classes', 'courses')];
