import type { RequestRule, SimResponse } from '../route';

/**
 * The request rules of the Ed-Fi ODS/API (7.3 and later) for its resource collections, as its query validator
 * and query builder enforce them, answered as it answers: `400` problem+json of type
 * `urn:ed-fi:api:bad-request:parameter` with the reason in `errors`. Older servers do not know key-set paging
 * at all (see `EdfiVersion` in edfi.ts).
 */
export const EDFI_MAX_PAGE_SIZE = 500;

const VALIDATOR = 'Ed-Fi-ODS: Application/EdFi.Ods.Common/Models/Queries/QueryParametersValidator.cs (ODS/API 7.3)';
const QUERY_BUILDER = 'Ed-Fi-ODS: Application/EdFi.Ods.Common/Providers/Queries (the aggregate-id query: key-set paging with CountRequested)';
const PAGING_DOCS = 'Ed-Fi ODS/API 7.3 documentation, "Improve Paging Performance with Partitioning" (pageToken, pageSize, /partitions)';

export function problem(status: number, detail: string, errors: string[], type = 'urn:ed-fi:api:bad-request:parameter', title = 'Parameter Validation Failed'): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: { detail, type, title, status, correlationId: null, errors },
  };
}

const invalid = (reason: string): SimResponse => problem(400, 'The request is invalid.', [reason]);

const has = (url: URL, name: string): boolean => url.searchParams.has(name);
const keySet = (url: URL): boolean => has(url, 'pageSize') || has(url, 'pageToken');
const offsetLimit = (url: URL): boolean => has(url, 'offset') || has(url, 'limit');

/** A query parameter as the server's model binder reads an integer: absent, a whole number, or not one. */
function integer(url: URL, name: string): number | undefined {
  const value = url.searchParams.get(name);
  return value === null ? undefined : /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
}

export const edfiCollectionRules: RequestRule[] = [
  {
    id: 'edfi.one-paging-kind',
    rule: 'offset/limit and key-set parameters (pageToken, pageSize) may not be mixed',
    source: VALIDATOR,
    breaking: '/data/v3/ed-fi/students?offset=0&pageSize=25',
    check: ({ url }) =>
      offsetLimit(url) && keySet(url) ? invalid('Both offset/limit and key set paging parameters are provided, but only one type of paging can be used.') : undefined,
  },
  {
    id: 'edfi.page-size-needs-token',
    rule: 'key-set paging needs both pageToken and pageSize: pageSize alone (or a token alone) is refused',
    source: VALIDATOR,
    breaking: '/data/v3/ed-fi/students?pageSize=500',
    check: ({ url }) =>
      keySet(url) && !(has(url, 'pageSize') && has(url, 'pageToken')) ? invalid('Page token and page size must both be provided for key set paging.') : undefined,
  },
  {
    id: 'edfi.offset-not-negative',
    rule: 'offset is 0 or more',
    source: VALIDATOR,
    breaking: '/data/v3/ed-fi/students?offset=-1&limit=25',
    check: ({ url }) => ((integer(url, 'offset') ?? 0) < 0 ? invalid('Offset cannot be a negative value.') : undefined),
  },
  {
    id: 'edfi.limit-range',
    rule: `limit is omitted or 0…${EDFI_MAX_PAGE_SIZE} (the server's page limit); a larger one is refused, not capped`,
    source: VALIDATOR,
    breaking: `/data/v3/ed-fi/students?offset=0&limit=${EDFI_MAX_PAGE_SIZE + 1}`,
    check: ({ url }) => {
      const limit = integer(url, 'limit');
      return limit !== undefined && !(limit >= 0 && limit <= EDFI_MAX_PAGE_SIZE) ? invalid(`Limit must be omitted or set to a value between 0 and ${EDFI_MAX_PAGE_SIZE}.`) : undefined;
    },
  },
  {
    id: 'edfi.page-size-range',
    rule: `pageSize is 0…${EDFI_MAX_PAGE_SIZE}`,
    source: VALIDATOR,
    breaking: `/data/v3/ed-fi/students?pageToken=eyJhIjowfQ&pageSize=${EDFI_MAX_PAGE_SIZE + 1}`,
    check: ({ url }) => {
      const size = integer(url, 'pageSize');
      return size !== undefined && !(size >= 0 && size <= EDFI_MAX_PAGE_SIZE) ? invalid(`PageSize must be a value between 0 and ${EDFI_MAX_PAGE_SIZE}.`) : undefined;
    },
  },
  {
    id: 'edfi.no-total-with-key-set',
    rule: 'totalCount=true is refused with key-set paging (ask the total with limit/offset, e.g. limit=0&totalCount=true)',
    source: QUERY_BUILDER,
    breaking: '/data/v3/ed-fi/students?pageToken=eyJhIjowfQ&pageSize=25&totalCount=true',
    check: ({ url }) => (keySet(url) && url.searchParams.get('totalCount') === 'true' ? invalid('Total count cannot be determined while using key set paging.') : undefined),
  },
];

export const edfiPartitionRules: RequestRule[] = [
  {
    id: 'edfi.partitions-number',
    rule: 'GET …/partitions takes number from 1 to 200',
    source: PAGING_DOCS,
    breaking: '/data/v3/ed-fi/students/partitions?number=201',
    check: ({ url }) => {
      const number = integer(url, 'number') ?? 1;
      return number >= 1 && number <= 200 ? undefined : invalid('Number must be between 1 and 200.');
    },
  },
];
