import type { Row } from '../dataset';
import { intParam, linkFrom, type SimContext, type SimResponse, type SimRoute } from '../route';

/** OneRoster 1.2 rostering collections: limit (default 100) / offset, `X-Total-Count`, a Link header, an envelope. */
function envelope(key: string) {
  return (rows: Row[], ctx: SimContext): SimResponse => {
    const limit = Math.max(1, intParam(ctx.url, 'limit', 100));
    const offset = Math.max(0, intParam(ctx.url, 'offset', 0));
    const headers: Record<string, string> = { 'x-total-count': String(rows.length) };
    if (offset + limit < rows.length) headers['link'] = `<${linkFrom(ctx, { offset: String(offset + limit), limit: String(limit) })}>; rel="next"`;
    return { status: 200, headers, body: { [key]: rows.slice(offset, offset + limit) } };
  };
}

const unauthorized = (): SimResponse => ({
  status: 401,
  body: { imsx_codeMajor: 'failure', imsx_severity: 'error', imsx_description: 'Unauthorized', imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: 'unauthorisedrequest' }] } },
});

const base = '\\/ims\\/oneroster\\/rostering\\/v1p2';
export const onerosterRoutes: SimRoute[] = [
  { pattern: new RegExp(`^${base}\\/users$`), collection: 'users', serve: envelope('users'), unauthorized },
  { pattern: new RegExp(`^${base}\\/enrollments$`), collection: 'enrollments', serve: envelope('enrollments'), unauthorized },
  { pattern: new RegExp(`^${base}\\/classes$`), collection: 'courses', serve: envelope('classes'), unauthorized },
];
