import type { BodyError, PresetDefaults, SourcePreset } from './source-preset';
import { FailureType } from '../failures';
import { PRESET_REQUEST_BUDGETS } from './preset-budgets';

/**
 * Moodle web services (`baseUrl` is the site; `path` is `/webservice/rest/server.php`; `query` names the
 * `wsfunction` and its arguments). The token travels as the `wstoken` query parameter (spec:
 * `"auth": {"queryTokenEnv": "MOODLE_TOKEN"}`): the worker adds it to each request and it is kept out of
 * cursors, audit rows and history. Moodle refuses any parameter a function does not declare, so paging goes where
 * the function declares it: `core_enrol_get_enrolled_users` takes `limitfrom`/`limitnumber` as two of its
 * `options` (name/value pairs, keyed here `options[limitfrom]` and `options[limitnumber]` so a resource's own
 * `options[0]`… never collide with them), and a page shorter than `limitnumber` is the last. Other functions are one
 * request without paging parameters: Moodle sends no Link header, so link-header paging ends after the first answer.
 * Moodle reports errors with HTTP 200 and `{"exception", "errorcode", "message"}`: those are errors, not data.
 */
const AUTH_ERRORS = new Set(['invalidtoken', 'accessexception', 'webservice_access_exception', 'servicerequireslogin', 'requireloginerror']);

export function moodleBodyError(body: unknown): BodyError | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const { exception, errorcode, message } = body as { exception?: unknown; errorcode?: unknown; message?: unknown };
  if (typeof exception !== 'string' || typeof errorcode !== 'string') return undefined;
  const text = `Moodle ${errorcode} (${exception}): ${typeof message === 'string' ? message : ''}`.trim();
  if (AUTH_ERRORS.has(errorcode)) return { retryable: false, type: FailureType.Unauthorized, message: text };
  if (exception.startsWith('dml_')) return { retryable: true, type: FailureType.ServerError, message: text };
  return { retryable: false, type: FailureType.BadRequest, message: text };
}

/** Functions that page by the options limitfrom/limitnumber and return a bare array (enrol/externallib.php). */
const PAGED_BY_OPTIONS = new Set(['core_enrol_get_enrolled_users']);

const pagedByOptions: PresetDefaults = {
  pagination: { type: 'offset', offsetParam: 'options[limitfrom][value]', limitParam: 'options[limitnumber][value]', recordsPath: '', stopOnShortPage: true },
  pageSize: 100,
  query: { moodlewsrestformat: 'json', 'options[limitfrom][name]': 'limitfrom', 'options[limitnumber][name]': 'limitnumber' },
};

const oneRequest: PresetDefaults = { pagination: { type: 'link-header', pageSizeParam: 'per_page' }, query: { moodlewsrestformat: 'json' } };

export const moodlePreset: SourcePreset = {
  name: 'moodle',
  requestBudget: PRESET_REQUEST_BUDGETS.moodle,
  defaults: (resource) => (PAGED_BY_OPTIONS.has(String(resource.query?.['wsfunction'] ?? '')) ? pagedByOptions : oneRequest),
  bodyError: moodleBodyError,
};
