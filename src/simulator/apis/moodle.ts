import type { Row } from '../dataset';
import type { SimContext, SimResponse, SimRoute } from '../route';
import { COURSES_FUNCTION, enrolOption, moodleRules } from './moodle-rules';

/**
 * Moodle web services: one endpoint, the function in `wsfunction`, the token in `wstoken`, and errors as HTTP 200
 * bodies. `core_enrol_get_enrolled_users` returns a bare array of a course's participants and pages by the options
 * `limitfrom`/`limitnumber`; `core_course_get_courses` returns every course in one answer. What a call must look
 * like to be run at all is in moodle-rules.ts.
 */

/** An option value as the function reads it: clean_param(PARAM_INT), and the DML layer's floor of 0. */
function intOption(url: URL, name: string): number {
  return Math.max(0, Number.parseInt(enrolOption(url, name) ?? '0', 10) || 0);
}

function serve(rows: Row[], ctx: SimContext): SimResponse {
  if (ctx.url.searchParams.get('wsfunction') === COURSES_FUNCTION) return { status: 200, body: ctx.data.list('courses') };
  const from = intOption(ctx.url, 'limitfrom');
  const number = intOption(ctx.url, 'limitnumber');
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
    rules: moodleRules,
  },
];
