import { credentialsFor } from '../activities/credentials';
import { getJson } from '../activities/get-json';
import { pagesByPosition } from '../pagination/positional';
import { readTotal } from '../pagination/total';
import { intervalSeconds } from '../spec/interval';
import { pageRequestUrl, resolvePaging } from '../sources/resolve-paging';
import type { ExportSpec, PaginationConfig, ResourceConfig } from '../spec/export-spec';

/** What one resource will cost: from the API's own total where it reports one, else from the operator's estimate. */
export interface ResourcePlan {
  resource: string;
  rows: number | null;
  source: 'api' | 'estimate' | 'unknown';
  pageSize: number | null;
  requests: number | null;
  /** A second pass is planned: the paging is positional and `reconcile` is on. */
  secondPass: boolean;
}

export interface ExportPlan {
  resources: ResourcePlan[];
  requests: number | null;
  seconds: number | null;
  requestsPerSecond: number;
  fitsEverySeconds?: { every: number; fits: boolean | null };
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

async function planResource(spec: ExportSpec, resource: ResourceConfig, estimate: number | undefined): Promise<ResourcePlan> {
  const paging = resolvePaging(spec.source, resource);
  const first = pageRequestUrl(paging, null);
  const { answer, body } = await getJson(first, spec.source, credentialsFor(spec.source), `plan ${resource.name}`);
  const response = { url: first, headers: answer.headers, body };
  const parsed = paging.strategy.parse(response);
  const total = readTotal(response, paging.total);
  const rows = total ?? estimate ?? (parsed.next === null ? parsed.records.length : null);
  const pageSize = paging.request.pageSize ?? (parsed.records.length || null);
  const positional = pagesByPosition(paging.pagination, parsed.next, first);
  const onePass = rows === null || pageSize === null ? null : requestsFor(rows, pageSize, paging.pagination);
  const secondPass = positional && resource.reconcile;
  // The completeness spot check re-fetches the first, a middle and the last page.
  const spotChecks = onePass === null || !resource.completeness.spotCheck ? 0 : Math.min(3, onePass);
  return {
    resource: resource.name,
    rows,
    source: total !== undefined ? 'api' : estimate !== undefined ? 'estimate' : rows !== null ? 'api' : 'unknown',
    pageSize,
    requests: onePass === null ? null : onePass * (secondPass ? 2 : 1) + spotChecks,
    secondPass,
  };
}

/** Asks each resource for its size (one request each) and adds up the requests a run will send. */
export async function planExport(spec: ExportSpec, options: { estimates?: Record<string, number>; requestsPerSecond: number; everySeconds?: number }): Promise<ExportPlan> {
  const resources: ResourcePlan[] = [];
  for (const resource of spec.resources) resources.push(await planResource(spec, resource, options.estimates?.[resource.name]));
  const requests = resources.every((r) => r.requests !== null) ? resources.reduce((n, r) => n + (r.requests ?? 0), 0) : null;
  const seconds = requests === null ? null : requests / options.requestsPerSecond;
  return {
    resources,
    requests,
    seconds,
    requestsPerSecond: options.requestsPerSecond,
    fitsEverySeconds: options.everySeconds === undefined ? undefined : { every: options.everySeconds, fits: seconds === null ? null : seconds <= options.everySeconds },
  };
}

export function formatPlan(plan: ExportPlan): string {
  const lines = plan.resources.map((r) => {
    const rows = r.rows === null ? 'size unknown (give --estimate name=rows)' : `${r.rows} rows (${r.source})`;
    const requests = r.requests === null ? '' : `, ${r.requests} requests of ${r.pageSize}${r.secondPass ? ' incl. a second pass (positional paging)' : ''} and the spot check`;
    return `  ${r.resource}: ${rows}${requests}`;
  });
  if (plan.requests === null) lines.push('total: unknown until every resource has a size');
  else lines.push(`total: ${plan.requests} requests, ${formatDuration(plan.seconds ?? 0)} at ${plan.requestsPerSecond} requests/s`);
  if (plan.fitsEverySeconds) {
    const verdict = plan.fitsEverySeconds.fits === null ? 'unknown' : plan.fitsEverySeconds.fits ? 'fits' : 'does NOT fit';
    lines.push(`schedule every ${formatDuration(plan.fitsEverySeconds.every)}: ${verdict}`);
  }
  return lines.join('\n');
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.ceil(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.ceil((seconds % 3600) / 60)} min`;
}

/** `1h`, `30m`, `90s` or plain seconds. */
export function parseInterval(text: string, option = '--every'): number {
  const seconds = intervalSeconds(text);
  if (seconds === undefined) throw new Error(`${option}: expected a duration like 1h, 30m or 90s, got "${text}"`);
  return seconds;
}
