import type { SourcePreset } from './source-preset';

/** Any JSON API: everything comes from the spec (the schema requires `pagination` for this preset). */
export const genericPreset: SourcePreset = {
  name: 'generic',
  // An unknown API: polite until the spec says it can take more.
  requestBudget: { requestsPerSecond: 10, concurrentRequestsPerWorker: 4 },
  defaults: (resource) => {
    if (resource.pagination === undefined) throw new Error(`resources.${resource.name}.pagination: required for preset generic`);
    return { pagination: resource.pagination };
  },
};
