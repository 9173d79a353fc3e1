import type { SourcePreset } from './source-preset';
import { PRESET_REQUEST_BUDGETS } from './preset-budgets';

/**
 * Blackboard Learn REST (`baseUrl` is the host; paths start `/learn/api/public/v1/…`). Bodies are
 * `{"results": [...], "paging": {"nextPage": "/learn/api/public/v1/…?offset=100"}}`; the next page is that
 * relative link, followed on the same origin; no `paging` means done. `limit` is capped per endpoint (100 on
 * the common collections; a larger request is refused).
 */
export const BLACKBOARD_MAX_PAGE_SIZE = 100;

export const blackboardPreset: SourcePreset = {
  name: 'blackboard',
  requestBudget: PRESET_REQUEST_BUDGETS.blackboard,
  defaults: () => ({
    pagination: { type: 'body-link', recordsPath: 'results', nextPath: 'paging.nextPage', pageSizeParam: 'limit' },
    pageSize: BLACKBOARD_MAX_PAGE_SIZE,
    maxPageSize: BLACKBOARD_MAX_PAGE_SIZE,
  }),
};
