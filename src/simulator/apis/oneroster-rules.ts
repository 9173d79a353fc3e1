import type { RequestRule, SimResponse } from '../route';

/**
 * The request rules of the OneRoster 1.2 rostering collections, as the 1EdTech REST binding's OpenAPI defines their
 * query parameters, answered as it answers them: `400` with an `imsx_StatusInfo` body (codeMajor `failure`, severity
 * `error`) whose code minor names the fault. The binding sets no largest `limit`; servers that have one say so.
 */
const OPENAPI = '1EdTech OneRoster 1.2 Rostering REST binding, OpenAPI (onerosterv1p2rostersservice_openapi3_v1p0.json): collection query parameters';
const STATUS = 'same document: responses 400 and components.schemas.imsx_StatusInfoDType (imsx_codeMinorFieldValue vocabulary)';

/** The binding's error payload: failure/error and one code minor from the TargetEndSystem. */
export function imsxStatus(status: number, description: string, codeMinor: string): SimResponse {
  return {
    status,
    body: {
      imsx_codeMajor: 'failure',
      imsx_severity: 'error',
      imsx_description: description,
      imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: codeMinor }] },
    },
  };
}

/** A query parameter typed `integer` (int32): absent, a whole number, or not one. */
function integer(url: URL, name: string): number | undefined {
  const value = url.searchParams.get(name);
  return value === null ? undefined : /^-?\d+$/.test(value) ? Number(value) : NaN;
}

/** The rules of a collection endpoint; `path` is the route's collection path, for each rule's own test. */
export function onerosterCollectionRules(path: string): RequestRule[] {
  return [
    {
      id: 'oneroster.limit-positive',
      rule: 'limit is an integer of at least 1 (default 100); limit=0, a negative or a non-integer limit is invalid data',
      source: `${OPENAPI} (limit: integer, minimum 1, default 100); ${STATUS}`,
      breaking: `${path}?limit=0&offset=0`,
      check: ({ url }) => {
        const limit = integer(url, 'limit');
        return limit === undefined || limit >= 1 ? undefined : imsxStatus(400, `The limit parameter must be an integer of at least 1, got "${url.searchParams.get('limit')}".`, 'invaliddata');
      },
    },
    {
      id: 'oneroster.offset-not-negative',
      rule: 'offset is an integer of at least 0 (default 0)',
      source: `${OPENAPI} (offset: integer, minimum 0, default 0); ${STATUS}`,
      breaking: `${path}?limit=10&offset=-10`,
      check: ({ url }) => {
        const offset = integer(url, 'offset');
        return offset === undefined || offset >= 0 ? undefined : imsxStatus(400, `The offset parameter must be an integer of at least 0, got "${url.searchParams.get('offset')}".`, 'invaliddata');
      },
    },
    {
      id: 'oneroster.order-by-asc-desc',
      rule: 'orderBy is asc or desc',
      source: `${OPENAPI} (orderBy: enum asc, desc); ${STATUS}`,
      breaking: `${path}?sort=sourcedId&orderBy=up`,
      check: ({ url }) => {
        const orderBy = url.searchParams.get('orderBy');
        return orderBy === null || orderBy === 'asc' || orderBy === 'desc' ? undefined : imsxStatus(400, `The orderBy parameter must be asc or desc, got "${orderBy}".`, 'invaliddata');
      },
    },
  ];
}
