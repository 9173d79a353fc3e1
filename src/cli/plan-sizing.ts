import { performance } from 'node:perf_hooks';
import { credentialsFor } from '../activities/credentials';
import { readJsonPath } from '../pagination/json-path';
import { pagesByPosition } from '../pagination/positional';
import { readTotal } from '../pagination/total';
import type { PageCursor } from '../pagination/types';
import { firstPageUrl } from '../pagination/first-request';
import { pageRequestUrl, resolvePaging } from '../sources/resolve-paging';
import type { ResolvedPaging } from '../sources/source-preset';
import type { ExportSpec, PaginationConfig, ResourceConfig } from '../spec/export-spec';
import { parentGone } from '../failures';

/**
 * The sizing requests `lms-export plan` sends: one traversal's first page (or a few pages, for a sampled
 * parent's children), read the way a run reads them, timed so the plan knows the source's latency.
 */
export interface TraversalSize {
  /** Rows the traversal holds: the API's total, or counted when the pages ran out; null when neither. */
  rows: number | null;
  pageSize: number | null;
  /** Requests one traversal sends, its second pass included; null while `rows` is unknown. */
  requests: number | null;
  /** A second pass is planned: the paging is positional and `reconcile` is on. */
  secondPass: boolean;
  /** The API reported a total, so `rows` is its word. */
  fromTotal: boolean;
  /** The first page's records: where the plan finds sample parent keys for a nested resource. */
  records: unknown[];
  /** How long each sizing request took, in milliseconds. */
  latenciesMs: number[];
  /** The collection answered 404 or 403: a parent deleted or closed to us (a run records it as gone). */
  gone: boolean;
}

/**
 * Requests one traversal of `rows` rows takes: its pages, plus the empty page that ends strategies which stop
 * only on one (unless a short last page ends it). Link, cursor and numbered-with-total paging need no extra.
 */
export function requestsFor(rows: number, pageSize: number, pagination: PaginationConfig): number {
  const pages = Math.ceil(rows / pageSize);
  const endsOnEmptyPage =
    pagination.type === 'token-header' || pagination.type === 'keyset' || pagination.type === 'offset' || (pagination.type === 'page-number' && pagination.totalPagesPath === undefined);
  const shortPageEnds = 'stopOnShortPage' in pagination && pagination.stopOnShortPage && rows % pageSize !== 0;
  return Math.max(1, pages + (endsOnEmptyPage && !shortPageEnds ? 1 : 0));
}

/**
 * Requests a run sends for a resource besides its pages: an Ed-Fi key-set resource asks the version document,
 * the total before the traversal, its first token, and the total again in the checks (see docs/sources.md).
 */
export function settlingRequests(paging: ResolvedPaging): number {
  return paging.firstTokenFromPartitions === true ? 4 : 0;
}


/**
 * Sizes one traversal of `resource` (its path already filled in): reads up to `maxPages` pages until the API
 * states a total or the pages run out. `maxPages` 1 is the top-level plan's one request per resource.
 */
export async function sizeTraversal(spec: ExportSpec, resource: ResourceConfig, maxPages: number): Promise<TraversalSize> {
  const paging = resolvePaging(spec.source, resource);
  const credentials = credentialsFor(spec.source);
  // A source whose pages cannot carry a total (Ed-Fi key-set) is sized by its count request, as a run asks it.
  const first = paging.countQuery !== undefined ? firstPageUrl({ ...paging.request, pageSize: undefined }, undefined, paging.countQuery) : pageRequestUrl(paging, null);
  const latenciesMs: number[] = [];
  let records: unknown[] = [];
  let seen = 0;
  let cursor: PageCursor | null = null;
  let total: number | undefined;
  let ended = false;
  let positional = false;
  for (let page = 0; page < maxPages && total === undefined && !ended; page++) {
    const url = page === 0 ? first : pageRequestUrl(paging, cursor);
    const started = performance.now();
    let answer;
    try {
      answer = await getJsonLazily(url, spec.source, credentials, `plan ${resource.name}`, page > 0);
    } catch (error) {
      latenciesMs.push(performance.now() - started);
      if (page === 0 && parentGone(error)) return { rows: 0, pageSize: null, requests: 1, secondPass: false, fromTotal: false, records: [], latenciesMs, gone: true };
      throw error;
    }
    latenciesMs.push(performance.now() - started);
    const response = { url, headers: answer.answer.headers, body: answer.body };
    const parsed = paging.strategy.parse(response);
    if (page === 0) {
      records = parsed.records;
      total = readTotal(response, paging.total);
      positional = pagesByPosition(paging.pagination, parsed.next, first);
    }
    seen += parsed.records.length;
    cursor = parsed.next;
    ended = parsed.next === null;
  }
  const rows = total ?? (ended ? seen : null);
  const pageSize = paging.request.pageSize ?? (records.length || null);
  const secondPass = positional && resource.reconcile;
  const onePass = rows === null || pageSize === null ? null : requestsFor(rows, pageSize, paging.pagination);
  return { rows, pageSize, requests: onePass === null ? null : onePass * (secondPass ? 2 : 1), secondPass, fromTotal: total !== undefined, records, latenciesMs, gone: false };
}

/** The path's placeholders, filled as fan-out.ts fills them: `{as}` takes the parent key, any other `{name}` the parent's field. */
export function childPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{([A-Za-z][A-Za-z0-9_]*)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? ''));
}

export function placeholdersOf(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z][A-Za-z0-9_]*)\}/g)].map((m) => m[1] as string);
}

/** A parent row as a nested plan samples it: its key and the fields the child's path names. */
export interface SampleParent {
  key: string;
  values: Record<string, string>;
}

/** Up to `count` parents spread evenly over `records`, read the way the sink reads parent keys. */
export function sampleParents(records: unknown[], keyField: string, fields: string[], count: number): SampleParent[] {
  const parents: SampleParent[] = [];
  const step = Math.max(1, records.length / count);
  for (let at = 0; at < records.length && parents.length < count; at += step) {
    const record = records[Math.floor(at)];
    const key = readJsonPath(record, keyField);
    if (key === undefined || key === null) continue;
    const values: Record<string, string> = {};
    for (const field of fields) {
      const value = readJsonPath(record, field);
      if (value !== undefined && value !== null) values[field] = String(value);
    }
    parents.push({ key: String(key), values });
  }
  return parents;
}

/** The activities' HTTP client, loaded when `plan` first asks a source: no other verb needs undici in the CLI. */
function getJsonLazily(...args: Parameters<typeof import('../activities/get-json').getJson>): ReturnType<typeof import('../activities/get-json').getJson> {
  const { getJson } = require('../activities/get-json') as typeof import('../activities/get-json');
  return getJson(...args);
}
