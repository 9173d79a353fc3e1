import type { PaginationConfig, ResourceConfig } from '../spec/export-spec';
import type { SourcePreset } from './source-preset';
import { PRESET_REQUEST_BUDGETS } from './preset-budgets';

/**
 * Ed-Fi ODS/API (Data Standard v5+, `baseUrl` ending in `/data/v3`). From ODS/API 7.3 on, the default is key-set
 * paging: the first token comes from the server (`GET <resource>/partitions?number=1`, or one token per
 * partition), each page is asked with `pageToken` and `pageSize` (at most 500), and the next token arrives in the
 * `Next-Page-Token` header, sent even on the last non-empty page: only `200 []` ends a traversal. The server
 * refuses `pageSize` without a token and `totalCount=true` with key-set paging, so the total comes from a request
 * of its own (`limit=0&totalCount=true`, the `Total-Count` header). Before 7.3 there is no key-set paging: the
 * run detects that (activities/choose-paging.ts) and pages by limit/offset (`limit` ≤ 500), whose first request asks
 * `totalCount=true`. Errors come as problem+json (`detail`, `errors`), surfaced as the server wrote them.
 * Change-version filters go in `query`.
 */
export const EDFI_MAX_PAGE_SIZE = 500;

/** limit/offset over an Ed-Fi collection: the fallback before 7.3, or what a spec asks for with `type: offset`. */
export const EDFI_OFFSET_PAGINATION: PaginationConfig = { type: 'offset', offsetParam: 'offset', limitParam: 'limit', recordsPath: '', stopOnShortPage: false };

/** ODS/API versions from 7.3 on page by key set; earlier ones only by limit/offset. */
export function hasKeySetPaging(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 7 || (major === 7 && minor >= 3);
}

/** The API root (its version document) of an ODS/API whose base URL is `<root>/data/v3`. */
export function edfiApiRoot(baseUrl: string): string {
  const base = new URL(baseUrl);
  return `${base.origin}${base.pathname.replace(/\/data\/v\d+.*$/, '').replace(/\/$/, '')}/`;
}

/** Whether the resource pages by Ed-Fi's key-set tokens (the preset's default) rather than limit/offset. */
export function pagesByKeySet(resource: Pick<ResourceConfig, 'pagination'>): boolean {
  return resource.pagination === undefined || resource.pagination.type === 'token-header';
}

export const edfiPreset: SourcePreset = {
  name: 'edfi',
  requestBudget: PRESET_REQUEST_BUDGETS.edfi,
  defaults: (resource) => ({
    pagination: { type: 'token-header', header: 'Next-Page-Token', tokenParam: 'pageToken', pageSizeParam: 'pageSize', recordsPath: '' },
    pageSize: EDFI_MAX_PAGE_SIZE,
    maxPageSize: EDFI_MAX_PAGE_SIZE,
    total: { header: 'Total-Count' },
    ...(pagesByKeySet(resource)
      ? { firstTokenFromPartitions: true, countQuery: { limit: '0', totalCount: 'true' } }
      : { firstQuery: { totalCount: 'true' } }),
  }),
};
