import type { SourcePreset } from './source-preset';
import { PRESET_REQUEST_BUDGETS } from './preset-budgets';

/**
 * Canvas LMS REST API. Collections page by RFC 8288 Link headers with a bare JSON array body; `per_page` is
 * capped at 100 by the server (a larger value is silently lowered), so we ask for at most 100 to keep page
 * counts honest. Some collections page by number (`page=2`), others by opaque bookmarks (`page=bookmark:…`)
 * with no `rel="last"`; both are followed exactly as the server wrote them. Throttling (403 "Rate Limit
 * Exceeded", now 429) is classified in the activities.
 */
export const CANVAS_MAX_PER_PAGE = 100;

export const canvasPreset: SourcePreset = {
  name: 'canvas',
  requestBudget: PRESET_REQUEST_BUDGETS.canvas,
  defaults: () => ({
    pagination: { type: 'link-header', pageSizeParam: 'per_page' },
    pageSize: CANVAS_MAX_PER_PAGE,
    maxPageSize: CANVAS_MAX_PER_PAGE,
  }),
};
