import type { RequestRule, SimRequest, SimResponse } from '../route';

/**
 * The request rules of Moodle's REST web service server for the functions the simulator serves, answered as Moodle
 * answers them: HTTP 200 and a JSON exception object (`{"exception", "errorcode", "message"}`; `debuginfo` only
 * on a site with debugging on, so not here). The server takes `wstoken`, `wsfunction` and `moodlewsrestformat`
 * for itself; every other parameter must be one the function declares, of the declared type, or the call is
 * refused before the function runs.
 */
const REST_SERVER = 'moodle: webservice/rest/locallib.php (parse_request: wstoken, wsfunction and moodlewsrestformat removed, all else is the function\'s; send_error: HTTP 200, generate_error: {exception, errorcode, message})';
const VALIDATE = 'moodle: lib/external/classes/external_api.php validate_parameters ("Unexpected keys (…) detected in parameter array", "Missing required key in single structure", "Invalid external api parameter")';
const ENROLLED_USERS = 'moodle: enrol/externallib.php core_enrol_external::get_enrolled_users_parameters (courseid PARAM_INT; options: list of {name, value}, limitfrom and limitnumber among the names) and get_enrolled_users (sortby, sortdirection)';
const COURSES = 'moodle: course/externallib.php core_course_external::get_courses_parameters (options: {ids: list of PARAM_INT}, optional)';
const FUNCTIONS = 'moodle: webservice/lib.php webservice_server::load_function_info (a function outside the token\'s service: webservice_access_exception)';

export const ENROLLED_USERS_FUNCTION = 'core_enrol_get_enrolled_users';
export const COURSES_FUNCTION = 'core_course_get_courses';

/** What invalid_parameter_exception reads as on the wire (lang/en/debug.php `invalidparameter`). */
export const invalidParameter = (): SimResponse => ({
  status: 200,
  body: { exception: 'invalid_parameter_exception', errorcode: 'invalidparameter', message: 'Invalid parameter value detected' },
});

const accessException = (): SimResponse => ({
  status: 200,
  body: { exception: 'webservice_access_exception', errorcode: 'accessexception', message: 'Access control exception' },
});

const SERVER_PARAMS = new Set(['wstoken', 'wsfunction', 'moodlewsrestformat']);

/** A parameter value as PHP parses a query string: `a[x][y]=1` is `{a: {x: {y: '1'}}}`; the last value wins. */
type PhpValue = string | { [key: string]: PhpValue };

/** The function's parameters, as PHP reads them from the query string, without the server's own. */
export function functionParams(url: URL): Record<string, PhpValue> {
  const params: Record<string, PhpValue> = {};
  for (const [key, value] of url.searchParams) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (match === null || SERVER_PARAMS.has(match[1] as string)) continue;
    const path = [match[1] as string, ...[...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] as string)];
    let at: Record<string, PhpValue> = params;
    path.forEach((segment, i) => {
      const name = segment === '' ? String(Object.keys(at).length) : segment;
      if (i === path.length - 1) at[name] = value;
      else {
        const inner = at[name];
        at = (at[name] = typeof inner === 'object' ? inner : {});
      }
    });
  }
  return params;
}

const isInt = (value: PhpValue | undefined): boolean => typeof value === 'string' && /^-?\d+$/.test(value.trim());
const fn = (url: URL): string | null => url.searchParams.get('wsfunction');

/** The parameters each served function declares at its top level. */
const DECLARED: Record<string, string[]> = { [ENROLLED_USERS_FUNCTION]: ['courseid', 'options'], [COURSES_FUNCTION]: ['options'] };

/** The options of core_enrol_get_enrolled_users: each one a {name, value} pair of scalars, name PARAM_ALPHANUMEXT. */
function enrolOptions(params: Record<string, PhpValue>): Array<{ name: string; value: string }> | undefined {
  const options = params['options'];
  if (options === undefined) return [];
  if (typeof options !== 'object') return undefined;
  const pairs: Array<{ name: string; value: string }> = [];
  for (const option of Object.values(options)) {
    if (typeof option !== 'object') return undefined;
    const { name, value, ...rest } = option;
    if (typeof name !== 'string' || typeof value !== 'string' || Object.keys(rest).length > 0 || !/^[A-Za-z0-9_-]*$/.test(name)) return undefined;
    pairs.push({ name, value });
  }
  return pairs;
}

/** The options of core_course_get_courses: nothing, or `ids` and only `ids`, a list of integers. */
function courseOptionsValid(params: Record<string, PhpValue>): boolean {
  const options = params['options'];
  if (options === undefined) return true;
  if (typeof options !== 'object') return false;
  const { ids, ...rest } = options;
  return Object.keys(rest).length === 0 && (ids === undefined || (typeof ids === 'object' && Object.values(ids).every(isInt)));
}

/** The options the enrolled-users call was given, by name (the last of a name wins, as the function reads them). */
export function enrolOption(url: URL, name: string): string | undefined {
  return enrolOptions(functionParams(url))?.filter((o) => o.name === name).pop()?.value;
}

const SORT_BY = ['id', 'firstname', 'lastname', 'siteorder'];

const base = '/webservice/rest/server.php?moodlewsrestformat=json';
const enrolled = `${base}&wsfunction=${ENROLLED_USERS_FUNCTION}`;

export const moodleRules: RequestRule[] = [
  {
    id: 'moodle.function-available',
    rule: `wsfunction names a function of the token's service (here ${ENROLLED_USERS_FUNCTION} and ${COURSES_FUNCTION})`,
    source: `${FUNCTIONS}; ${REST_SERVER}`,
    breaking: `${base}&wsfunction=core_user_get_users`,
    check: ({ url }) => (DECLARED[fn(url) ?? ''] === undefined ? accessException() : undefined),
  },
  {
    id: 'moodle.declared-parameters',
    rule: 'every parameter besides wstoken, wsfunction and moodlewsrestformat is one the function declares: paging goes in options (options[i][name]=limitfrom, options[i][value]=0), never as limitfrom=0',
    source: `${VALIDATE}; ${ENROLLED_USERS}; ${REST_SERVER}`,
    breaking: `${enrolled}&courseid=1&limitfrom=0&limitnumber=25`,
    check: ({ url }) => {
      const declared = DECLARED[fn(url) ?? ''] ?? [];
      return Object.keys(functionParams(url)).every((key) => declared.includes(key)) ? undefined : invalidParameter();
    },
  },
  {
    id: 'moodle.courseid-integer',
    rule: `${ENROLLED_USERS_FUNCTION} needs courseid, an integer`,
    source: `${VALIDATE}; ${ENROLLED_USERS}`,
    breaking: `${enrolled}&courseid=math101`,
    check: ({ url }) => (fn(url) === ENROLLED_USERS_FUNCTION && !isInt(functionParams(url)['courseid']) ? invalidParameter() : undefined),
  },
  {
    id: 'moodle.options-structure',
    rule: `options are what the function declares: for ${ENROLLED_USERS_FUNCTION} a list of {name, value} pairs, for ${COURSES_FUNCTION} only ids, a list of integers`,
    source: `${VALIDATE}; ${ENROLLED_USERS}; ${COURSES}`,
    breaking: `${enrolled}&courseid=1&options[0][name]=limitfrom`,
    check: ({ url }) => {
      const params = functionParams(url);
      const valid = fn(url) === COURSES_FUNCTION ? courseOptionsValid(params) : enrolOptions(params) !== undefined;
      return valid ? undefined : invalidParameter();
    },
  },
  {
    id: 'moodle.sort-options',
    rule: `the ${ENROLLED_USERS_FUNCTION} option sortby is one of ${SORT_BY.join(', ')}, and sortdirection ASC or DESC`,
    source: ENROLLED_USERS,
    breaking: `${enrolled}&courseid=1&options[0][name]=sortby&options[0][value]=email`,
    check: (request: SimRequest) => {
      if (fn(request.url) !== ENROLLED_USERS_FUNCTION) return undefined;
      const options = enrolOptions(functionParams(request.url)) ?? [];
      const bad = options.some((o) => (o.name === 'sortby' && !SORT_BY.includes(o.value)) || (o.name === 'sortdirection' && !['ASC', 'DESC'].includes(o.value.toUpperCase())));
      return bad ? invalidParameter() : undefined;
    },
  },
];
