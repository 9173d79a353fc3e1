import type { BodyError, SourcePreset } from './source-preset';

/**
 * Moodle web services (`baseUrl` is the site; `path` is `/webservice/rest/server.php`; `query` names the
 * `wsfunction` and its arguments). The token travels as the `wstoken` query parameter (spec:
 * `"auth": {"queryTokenEnv": "MOODLE_TOKEN"}`): the worker adds it to each request and it is kept out of
 * cursors, audit rows and history. Functions that page take `limitfrom`/`limitnumber`, and a page shorter than
 * `limitnumber` is the last. Moodle reports errors with HTTP 200 and `{"exception", "errorcode", "message"}`:
 * those are errors, not data.
 */
const AUTH_ERRORS = new Set(['invalidtoken', 'accessexception', 'webservice_access_exception', 'servicerequireslogin', 'requireloginerror']);

export function moodleBodyError(body: unknown): BodyError | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const { exception, errorcode, message } = body as { exception?: unknown; errorcode?: unknown; message?: unknown };
  if (typeof exception !== 'string' || typeof errorcode !== 'string') return undefined;
  const text = `Moodle ${errorcode} (${exception}): ${typeof message === 'string' ? message : ''}`.trim();
  if (AUTH_ERRORS.has(errorcode)) return { retryable: false, type: 'AuthRejected', message: text };
  if (exception.startsWith('dml_')) return { retryable: true, type: 'ServerError', message: text };
  return { retryable: false, type: 'BadRequest', message: text };
}

export const moodlePreset: SourcePreset = {
  name: 'moodle',
  // Moodle web services run inside the PHP site itself; every call competes with students' page loads.
  requestBudget: { requestsPerSecond: 5, concurrentRequestsPerWorker: 4 },
  defaults: () => ({
    pagination: { type: 'offset', offsetParam: 'limitfrom', limitParam: 'limitnumber', recordsPath: '', stopOnShortPage: true },
    pageSize: 100,
    query: { moodlewsrestformat: 'json' },
  }),
  bodyError: moodleBodyError,
};
