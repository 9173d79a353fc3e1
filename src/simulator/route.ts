import type { CollectionName, Dataset, Row } from './dataset';

/** What a simulated API answers; the server writes it out. */
export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

export interface SimContext {
  url: URL;
  /** The origin next links point to (another origin, for the cross-origin test). */
  linkOrigin: string;
  /** Hand a token of the page before this one back again (a buggy server, for the loop guard). */
  repeatTokenAfterPages?: number;
  /** Reject the cursor this request carries as expired. */
  expireCursor: boolean;
  /** A server bug: the next cursor this answer hands out skips a page's worth of rows. */
  skipNextPage?: boolean;
  /** The Ed-Fi ODS/API version served (`7.3.0`): key-set paging exists from 7.3 on. */
  edfiVersion: string;
  /** The whole dataset, for answers about it rather than rows of it (Ed-Fi change versions, tombstones). */
  data: Dataset;
}

/**
 * A request rule the real server enforces, with where it is written down and what the server answers when it is
 * broken. The simulator enforces every rule of a route unless it runs `lenient`; either way a broken rule is
 * counted (`stats.breaches`), so a contract test can assert that a preset never sends what the real API refuses.
 */
export interface RequestRule {
  /** `<api>.<rule>`, e.g. `edfi.page-size-needs-token`: named in docs/sources.md beside the rule. */
  id: string;
  /** The rule, as the vendor states it. */
  rule: string;
  /** The vendor document or source file it comes from. */
  source: string;
  /** A request (path and query, on this route) that breaks it: the rule's own test sends it. */
  breaking: string;
  /** The real server's answer to a request that breaks the rule, or undefined when the request keeps it. */
  check(request: SimRequest): SimResponse | undefined;
}

/** What a rule may look at: the URL and the request headers (lowercase names). */
export interface SimRequest {
  url: URL;
  method: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A request that broke a rule: which rule, and the request as sent (its token removed). */
export interface RuleBreach {
  rule: string;
  request: string;
  /** Whether the simulator refused it (strict) or served it anyway (lenient). */
  refused: boolean;
}

export interface SimRoute {
  pattern: RegExp;
  /** The request rules of the real API for this route, checked in order after authentication. */
  rules?: RequestRule[];
  collection: CollectionName;
  /** `query`: the token is the `wstoken` parameter (Moodle); `none`: a public document; otherwise a bearer header. */
  auth?: 'bearer' | 'query' | 'none';
  /** Rows of the collection this request sees (a course's enrollments, say). */
  filter?: (row: Row, match: RegExpMatchArray, url: URL) => boolean;
  serve(rows: Row[], ctx: SimContext): SimResponse;
  /** For a collection under a parent: whether the parent exists (a deleted course's enrollments answer 404). */
  parentExists?: (match: RegExpMatchArray, data: Dataset) => boolean;
  /** The answer to a request without the right token. */
  unauthorized?: () => SimResponse;
}

export function intParam(url: URL, name: string, fallback: number): number {
  const value = url.searchParams.get(name);
  const parsed = value === null ? NaN : Number(value);
  return Number.isInteger(parsed) ? parsed : fallback;
}

/** Rows after a key, in id order: the keyset step most paging in the simulator is built on. */
export function rowsAfter(rows: Row[], afterId: number, limit: number): { page: Row[]; more: boolean } {
  const start = rows.findIndex((r) => r.id > afterId);
  if (start < 0) return { page: [], more: false };
  return { page: rows.slice(start, start + limit), more: start + limit < rows.length };
}

/** A copy of the request URL on another origin with some parameters changed: how servers build next links. */
export function linkFrom(ctx: SimContext, params: Record<string, string>): string {
  const link = new URL(ctx.url.pathname + ctx.url.search, ctx.linkOrigin);
  for (const [name, value] of Object.entries(params)) link.searchParams.set(name, value);
  return link.toString();
}

export const byCourse = (row: Row, match: RegExpMatchArray): boolean => row['course_id'] === Number(match[1]);
export const byAssignment = (row: Row, match: RegExpMatchArray): boolean => row['course_id'] === Number(match[1]) && row['assignment_id'] === Number(match[2]);
export const courseExists = (match: RegExpMatchArray, data: Dataset): boolean => data.list('courses').some((c) => c.id === Number(match[1]));
export const assignmentExists = (match: RegExpMatchArray, data: Dataset): boolean =>
  courseExists(match, data) && data.list('assignments').some((a) => a.id === Number(match[2]) && a['course_id'] === Number(match[1]));
