import type { SourcePreset } from './source-preset';

/** Any JSON API: everything comes from the spec (the schema requires `pagination` for this preset). */
export const genericPreset: SourcePreset = {
  name: 'generic',
  defaults: (resource) => {
    if (resource.pagination === undefined) throw new Error(`resources.${resource.name}.pagination: required for preset generic`);
    return { pagination: resource.pagination };
  },
};
