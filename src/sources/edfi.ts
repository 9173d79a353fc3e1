import type { SourcePreset } from './source-preset';

/**
 * Ed-Fi ODS/API (Data Standard v5+, `baseUrl` ending in `/data/v3` or `/data/v3/ed-fi`'s parent as deployed).
 * Default: cursor paging with `pageSize` (at most 500) and the opaque `Next-Page-Token` response header sent
 * back as `pageToken`. Ed-Fi sends the header even on the last non-empty page and ends with `200 []`, so only
 * an empty page ends a traversal. limit/offset (`limit` ≤ 500) is the fallback (`"pagination": {"type":
 * "offset"}`). The first request asks `totalCount=true`, which makes the API answer with a `Total-Count`
 * header. Errors come as problem+json (`detail`, `errors`), surfaced as the server wrote them. Partitions
 * (`/partitions?number=N`) are listed by the `listPartitions` activity; change-version filters go in `query`.
 */
export const EDFI_MAX_PAGE_SIZE = 500;

export const edfiPreset: SourcePreset = {
  name: 'edfi',
  // ODS/API hosts are district servers shared with SIS sync jobs: parallel partitions, a modest ceiling.
  requestBudget: { requestsPerSecond: 20, concurrentRequestsPerWorker: 8 },
  defaults: () => ({
    pagination: { type: 'token-header', header: 'Next-Page-Token', tokenParam: 'pageToken', pageSizeParam: 'pageSize', recordsPath: '' },
    pageSize: EDFI_MAX_PAGE_SIZE,
    maxPageSize: EDFI_MAX_PAGE_SIZE,
    total: { header: 'Total-Count' },
    firstQuery: { totalCount: 'true' },
  }),
};
