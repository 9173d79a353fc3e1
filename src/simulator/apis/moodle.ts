import type { Row } from '../dataset';
import { intParam, type SimContext, type SimResponse, type SimRoute } from '../route';

/**
 * Moodle web services: one endpoint, the function in `wsfunction`, the token in `wstoken`, and errors as HTTP 200
 * bodies. `core_enrol_get_enrolled_users` pages by `limitfrom`/`limitnumber` and returns a bare array.
 */
function serve(rows: Row[], ctx: SimContext): SimResponse {
  const fn = ctx.url.searchParams.get('wsfunction');
  if (fn !== 'core_enrol_get_enrolled_users') {
    return { status: 200, body: { exception: 'webservice_access_exception', errorcode: 'accessexception', message: `Access control exception (${fn})` } };
  }
  const from = Math.max(0, intParam(ctx.url, 'limitfrom', 0));
  const number = intParam(ctx.url, 'limitnumber', 0);
  return { status: 200, body: number > 0 ? rows.slice(from, from + number) : rows.slice(from) };
}

const unauthorized = (): SimResponse => ({
  status: 200,
  body: { exception: 'moodle_exception', errorcode: 'invalidtoken', message: 'Invalid token - token not found' },
});

export const moodleRoutes: SimRoute[] = [
  {
    pattern: /^\/webservice\/rest\/server\.php$/,
    collection: 'enrollments',
    auth: 'query',
    filter: (row, _match, url) => row['course_id'] === Number(url.searchParams.get('courseid')),
    serve,
    unauthorized,
  },
];
