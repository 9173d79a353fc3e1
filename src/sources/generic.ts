import type { SourcePreset } from './source-preset';
import { strategyFor } from './strategy-for';

/** Any JSON API: everything comes from the spec (the schema requires `pagination` for this preset). */
export const genericPreset: SourcePreset = {
  name: 'generic',
  resolve(source, resource) {
    if (resource.pagination === undefined) throw new Error(`resources.${resource.name}.pagination: required for preset generic`);
    return {
      pagination: resource.pagination,
      strategy: strategyFor(resource.pagination),
      request: { baseUrl: source.baseUrl, path: resource.path, pageSize: resource.pageSize, query: resource.query },
    };
  },
};
