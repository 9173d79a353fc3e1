import type { Row } from '../dataset';
import { intParam, rowsAfter, type SimContext, type SimResponse, type SimRoute } from '../route';

/**
 * Ed-Fi ODS/API resources. Cursor paging: `pageSize` (≤ 500) and an opaque `Next-Page-Token` header, sent even
 * on the last non-empty page; the traversal ends with `200 []`. limit/offset (≤ 500) otherwise. `totalCount=true`
 * adds a `Total-Count` header. Errors are problem+json.
 */
export const EDFI_MAX_PAGE_SIZE = 500;

function problem(status: number, detail: string, errors: string[]): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: { detail, type: 'urn:ed-fi:api:bad-request:parameter', title: 'Parameter Validation Failed', status, errors },
  };
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
 * collection gets fewer partitions than asked, and answers one starting token per partition.
 */
function partitions(rows: Row[], ctx: SimContext): SimResponse {
  const asked = intParam(ctx.url, 'number', 1);
  if (asked < 1 || asked > 200) return problem(400, 'The request is invalid.', ['Number must be between 1 and 200.']);
  const size = Math.max(Math.ceil(rows.length / asked), 5 * EDFI_MAX_PAGE_SIZE);
  const pageTokens: string[] = [];
  for (let start = 0; start < rows.length; start += size) {
    const upTo = rows[Math.min(start + size, rows.length) - 1]?.id ?? 0;
    pageTokens.push(encodeToken({ after: start === 0 ? 0 : (rows[start - 1]?.id ?? 0), upTo }));
  }
  return { status: 200, body: { pageTokens } };
}

function serve(rows: Row[], ctx: SimContext): SimResponse {
  const { url } = ctx;
  const headers: Record<string, string> = {};
  if (url.searchParams.get('totalCount') === 'true') headers['total-count'] = String(rows.length);
  const token = url.searchParams.get('pageToken');
  if (token !== null || url.searchParams.has('pageSize')) {
    const pageSize = intParam(url, 'pageSize', 25);
    if (pageSize < 1 || pageSize > EDFI_MAX_PAGE_SIZE) return problem(400, 'The request is invalid.', [`PageSize must be between 1 and ${EDFI_MAX_PAGE_SIZE}.`]);
    if (token !== null && ctx.expireCursor) return problem(410, 'The pageToken has expired.', ['Request a new pageToken by starting from the first page.']);
    const position = token === null ? { after: 0 } : decodeToken(token);
    if (position === undefined) return problem(400, 'The request is invalid.', ['The pageToken is not valid.']);
    const inRange = position.upTo === undefined ? rows : rows.filter((r) => r.id <= (position.upTo as number));
    const { page } = rowsAfter(inRange, position.after, pageSize);
    const last = page[page.length - 1];
    // Silently skipping a page: the token points a page further on than the rows served.
    const resumeAfter = ctx.skipNextPage && last !== undefined ? (inRange[inRange.indexOf(last) + pageSize] ?? last) : last;
    if (resumeAfter !== undefined) headers['next-page-token'] = encodeToken({ after: resumeAfter.id, upTo: position.upTo });
    const start = page[0] === undefined ? -1 : rows.indexOf(page[0]);
    if (ctx.repeatTokenAfterPages !== undefined && start >= ctx.repeatTokenAfterPages * pageSize) {
      // A buggy server: its next token points a page back, so a client that trusts it pages forever.
      headers['next-page-token'] = encodeToken({ after: rows[start - pageSize - 1]?.id ?? 0 });
    }
    return { status: 200, headers, body: page };
  }
  const limit = intParam(url, 'limit', 25);
  const offset = intParam(url, 'offset', 0);
  if (limit < 0 || limit > EDFI_MAX_PAGE_SIZE) return problem(400, 'The request is invalid.', [`Limit must be omitted or set to a numeric value between 0 and ${EDFI_MAX_PAGE_SIZE}.`]);
  return { status: 200, headers, body: rows.slice(offset, offset + limit) };
}

const unauthorized = (): SimResponse => ({
  status: 401,
  headers: { 'content-type': 'application/problem+json' },
  body: { detail: 'Authorization denied.', type: 'urn:ed-fi:api:security:authentication', title: 'Authentication Failed', status: 401, errors: ['Invalid token'] },
});

/** `GET /ChangeQueries/v1/availableChangeVersions`: the range a change query may ask for now. */
function availableChangeVersions(_rows: Row[], ctx: SimContext): SimResponse {
  return { status: 200, body: { oldestChangeVersion: 0, newestChangeVersion: ctx.data.newestChangeVersion } };
}

/** `GET …/students/deletes`: tombstones within the change-version range, paged by offset/limit. */
function deletes(collection: 'users' | 'enrollments') {
  return (_rows: Row[], ctx: SimContext): SimResponse => {
    const min = intParam(ctx.url, 'minChangeVersion', 0);
    const max = intParam(ctx.url, 'maxChangeVersion', Number.MAX_SAFE_INTEGER);
    const limit = intParam(ctx.url, 'limit', 25);
    const offset = intParam(ctx.url, 'offset', 0);
    if (limit < 1 || limit > EDFI_MAX_PAGE_SIZE) return problem(400, 'The request is invalid.', [`Limit must be between 1 and ${EDFI_MAX_PAGE_SIZE}.`]);
    const tombstones = ctx.data.tombstonesOf(collection).filter((t) => t.changeVersion >= min && t.changeVersion <= max);
    const body = tombstones.slice(offset, offset + limit).map((t) => ({
      id: t.row.id,
      changeVersion: t.changeVersion,
      keyValues: collection === 'users' ? { studentUniqueId: t.row['sis_user_id'] } : { studentUniqueId: String(t.row['user_id']) },
    }));
    return { status: 200, body };
  };
}

export const edfiRoutes: SimRoute[] = [
  { pattern: /^\/ChangeQueries\/v1\/availableChangeVersions$/, collection: 'users', serve: availableChangeVersions, unauthorized },
  { pattern: /^\/data\/v3\/ed-fi\/students\/deletes$/, collection: 'users', serve: deletes('users'), unauthorized },
  { pattern: /^\/data\/v3\/ed-fi\/studentSchoolAssociations\/deletes$/, collection: 'enrollments', serve: deletes('enrollments'), unauthorized },
  { pattern: /^\/data\/v3\/ed-fi\/students\/partitions$/, collection: 'users', serve: partitions, unauthorized },
  { pattern: /^\/data\/v3\/ed-fi\/students$/, collection: 'users', serve, unauthorized },
  { pattern: /^\/data\/v3\/ed-fi\/studentSchoolAssociations$/, collection: 'enrollments', serve, unauthorized },
];
