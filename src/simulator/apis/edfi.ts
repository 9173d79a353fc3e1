import type { Row } from '../dataset';
import { intParam, rowsAfter, type SimContext, type SimResponse, type SimRoute } from '../route';
import { EDFI_MAX_PAGE_SIZE, edfiCollectionRules, edfiPartitionRules, problem } from './edfi-rules';

/**
 * Ed-Fi ODS/API resources. From 7.3 on: key-set paging with a `pageToken` the server handed out
 * (`/partitions?number=N`) and a `pageSize` (≤ 500), the next token in a `Next-Page-Token` header sent even on
 * the last non-empty page, the traversal ending with `200 []`; limit/offset (≤ 500) otherwise, where
 * `totalCount=true` adds a `Total-Count` header. Every request rule of edfi-rules.ts is enforced. Before 7.3
 * there is no key-set paging: `/partitions` is not found and `pageToken`/`pageSize` are ignored (a client that
 * sends them gets the first 25 rows and no next token). The API root (`GET /`) says which version this is.
 * Errors are problem+json.
 */
export { EDFI_MAX_PAGE_SIZE } from './edfi-rules';

/** The ODS/API version the simulator plays (`major.minor.patch`); 7.3 is the first with key-set paging. */
export const EDFI_DEFAULT_VERSION = '7.3.0';
const EDFI_DEFAULT_LIMIT = 25;

/** The simulator's own reading of the version (it plays the server, so it does not borrow the client's). */
function hasKeySetPaging(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 7 || (major === 7 && minor >= 3);
}


/** An opaque page token: the last id served and, inside a partition, the partition's last id. */
interface PageToken {
  after: number;
  upTo?: number;
}

const encodeToken = (token: PageToken): string => Buffer.from(JSON.stringify({ a: token.after, b: token.upTo })).toString('base64url');

function decodeToken(token: string): PageToken | undefined {
  try {
    const { a, b } = JSON.parse(Buffer.from(token, 'base64url').toString()) as { a?: unknown; b?: unknown };
    return typeof a === 'number' ? { after: a, upTo: typeof b === 'number' ? b : undefined } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `/partitions?number=N`: Ed-Fi sizes partitions at max(ceil(count / N), 5 × the largest page size), so a small
 * collection gets fewer partitions than asked, and answers one starting token per partition (none when empty).
 */
function partitions(rows: Row[], ctx: SimContext): SimResponse {
  const asked = intParam(ctx.url, 'number', 1);
  const size = Math.max(Math.ceil(rows.length / asked), 5 * EDFI_MAX_PAGE_SIZE);
  const pageTokens: string[] = [];
  for (let start = 0; start < rows.length; start += size) {
    const upTo = rows[Math.min(start + size, rows.length) - 1]?.id ?? 0;
    pageTokens.push(encodeToken({ after: start === 0 ? 0 : (rows[start - 1]?.id ?? 0), upTo }));
  }
  return { status: 200, body: { pageTokens } };
}

function keySetPage(rows: Row[], ctx: SimContext, token: string): SimResponse {
  const { url } = ctx;
  const pageSize = intParam(url, 'pageSize', EDFI_DEFAULT_LIMIT);
  if (ctx.expireCursor) return problem(410, 'The pageToken has expired.', ['Request a new pageToken by starting from the first page.'], 'urn:ed-fi:api:gone', 'Gone');
  const position = decodeToken(token);
  if (position === undefined) return problem(400, 'The request is invalid.', ['The pageToken is not valid.']);
  const inRange = position.upTo === undefined ? rows : rows.filter((r) => r.id <= (position.upTo as number));
  const { page } = rowsAfter(inRange, position.after, pageSize);
  const headers: Record<string, string> = {};
  const last = page[page.length - 1];
  // Silently skipping a page: the token points a page further on than the rows served.
  const resumeAfter = ctx.skipNextPage && last !== undefined ? (inRange[inRange.indexOf(last) + pageSize] ?? last) : last;
  if (resumeAfter !== undefined) headers['next-page-token'] = encodeToken({ after: resumeAfter.id, upTo: position.upTo });
  const start = page[0] === undefined ? -1 : rows.indexOf(page[0]);
  if (ctx.repeatTokenAfterPages !== undefined && start >= ctx.repeatTokenAfterPages * pageSize) {
    // A buggy server: its next token points a page back, so a client that trusts it pages forever.
    headers['next-page-token'] = encodeToken({ after: rows[start - pageSize - 1]?.id ?? 0, upTo: position.upTo });
  }
  return { status: 200, headers, body: page };
}

function serve(rows: Row[], ctx: SimContext): SimResponse {
  const { url } = ctx;
  const token = url.searchParams.get('pageToken');
  if (token !== null && hasKeySetPaging(ctx.edfiVersion)) return keySetPage(rows, ctx, token);
  const headers: Record<string, string> = {};
  if (url.searchParams.get('totalCount') === 'true') headers['total-count'] = String(rows.length);
  const limit = intParam(url, 'limit', EDFI_DEFAULT_LIMIT);
  const offset = intParam(url, 'offset', 0);
  return { status: 200, headers, body: rows.slice(offset, offset + limit) };
}

const unauthorized = (): SimResponse => ({
  status: 401,
  headers: { 'content-type': 'application/problem+json' },
  body: { detail: 'Authorization denied.', type: 'urn:ed-fi:api:security:authentication', title: 'Authentication Failed', status: 401, errors: ['Invalid token'] },
});

const notFound = (): SimResponse => problem(404, 'The specified resource could not be found.', [], 'urn:ed-fi:api:not-found', 'Not Found');

/** `GET /ChangeQueries/v1/availableChangeVersions`: the range a change query may ask for now. */
function availableChangeVersions(_rows: Row[], ctx: SimContext): SimResponse {
  return { status: 200, body: { oldestChangeVersion: 0, newestChangeVersion: ctx.data.newestChangeVersion } };
}

/** `GET /`: the API's version document, as the ODS/API root answers it (no token needed). */
function versionDocument(_rows: Row[], ctx: SimContext): SimResponse {
  const origin = ctx.url.origin;
  return {
    status: 200,
    body: {
      version: ctx.edfiVersion.split('.').slice(0, 2).join('.'),
      informationalVersion: ctx.edfiVersion,
      suite: '3',
      build: `${ctx.edfiVersion}.0`,
      apiMode: 'Sandbox',
      dataModels: [{ name: 'Ed-Fi', version: '5.0.0', informationalVersion: 'Data Standard 5.0' }],
      urls: {
        dependencies: `${origin}/metadata/data/v3/dependencies`,
        openApiMetadata: `${origin}/metadata/`,
        oauth: `${origin}/oauth/token`,
        dataManagementApi: `${origin}/data/v3/`,
        xsdMetadata: `${origin}/metadata/xsd`,
        changeQueries: `${origin}/ChangeQueries/v1/`,
      },
    },
  };
}

/** `GET …/students/deletes`: tombstones within the change-version range, paged by offset/limit. */
function deletes(collection: 'users' | 'enrollments') {
  return (_rows: Row[], ctx: SimContext): SimResponse => {
    const min = intParam(ctx.url, 'minChangeVersion', 0);
    const max = intParam(ctx.url, 'maxChangeVersion', Number.MAX_SAFE_INTEGER);
    const limit = intParam(ctx.url, 'limit', EDFI_DEFAULT_LIMIT);
    const offset = intParam(ctx.url, 'offset', 0);
    const tombstones = ctx.data.tombstonesOf(collection).filter((t) => t.changeVersion >= min && t.changeVersion <= max);
    const body = tombstones.slice(offset, offset + limit).map((t) => ({
      id: t.row.id,
      changeVersion: t.changeVersion,
      keyValues: collection === 'users' ? { studentUniqueId: t.row['sis_user_id'] } : { studentUniqueId: String(t.row['user_id']) },
    }));
    return { status: 200, body };
  };
}

/** The routes of an ODS/API of this version: with key-set paging and its rules from 7.3 on, without before. */
export function edfiRoutesFor(version: string, hideVersion = false): SimRoute[] {
  const keySet = hasKeySetPaging(version);
  // Before 7.3 the validator knows only offset/limit: key-set parameters are not rules there, just ignored.
  const collectionRules = keySet ? edfiCollectionRules : edfiCollectionRules.filter((r) => ['edfi.offset-not-negative', 'edfi.limit-range'].includes(r.id));
  const partitionsRoute = (pattern: RegExp, collection: 'users' | 'enrollments'): SimRoute =>
    keySet ? { pattern, collection, serve: partitions, unauthorized, rules: edfiPartitionRules } : { pattern, collection, serve: notFound, unauthorized };
  return [
    { pattern: /^\/$/, collection: 'users', auth: 'none', serve: hideVersion ? notFound : versionDocument },
    { pattern: /^\/ChangeQueries\/v1\/availableChangeVersions$/, collection: 'users', serve: availableChangeVersions, unauthorized },
    { pattern: /^\/data\/v3\/ed-fi\/students\/deletes$/, collection: 'users', serve: deletes('users'), unauthorized, rules: collectionRules },
    { pattern: /^\/data\/v3\/ed-fi\/studentSchoolAssociations\/deletes$/, collection: 'enrollments', serve: deletes('enrollments'), unauthorized, rules: collectionRules },
    partitionsRoute(/^\/data\/v3\/ed-fi\/students\/partitions$/, 'users'),
    partitionsRoute(/^\/data\/v3\/ed-fi\/studentSchoolAssociations\/partitions$/, 'enrollments'),
    { pattern: /^\/data\/v3\/ed-fi\/students$/, collection: 'users', serve, unauthorized, rules: collectionRules },
    { pattern: /^\/data\/v3\/ed-fi\/studentSchoolAssociations$/, collection: 'enrollments', serve, unauthorized, rules: collectionRules },
  ];
}

export const edfiRoutes: SimRoute[] = edfiRoutesFor(EDFI_DEFAULT_VERSION);
