import type { SourcePreset } from './source-preset';
import { strategyFor } from './strategy-for';

/**
 * Canvas LMS REST API. Collections page by RFC 8288 Link headers; `per_page` is capped at 100 by the server
 * (a larger value is silently lowered), so we ask for at most 100 to keep page counts honest. Some
 * collections page by number (`page=2`), others by opaque bookmarks (`page=bookmark:…`) with no `rel="last"`;
 * both are followed exactly as the server wrote them.
 */
export const CANVAS_MAX_PER_PAGE = 100;

export const canvasPreset: SourcePreset = {
  name: 'canvas',
  resolve(source, resource) {
    const pagination = resource.pagination ?? { type: 'link-header', pageSizeParam: 'per_page' };
    const pageSize = Math.min(resource.pageSize ?? CANVAS_MAX_PER_PAGE, CANVAS_MAX_PER_PAGE);
    return {
      pagination,
      strategy: strategyFor(pagination),
      request: { baseUrl: source.baseUrl, path: resource.path, pageSize, query: resource.query },
    };
  },
};
