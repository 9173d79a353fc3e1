import type { SourcePreset } from './source-preset';
import { PRESET_REQUEST_BUDGETS } from './preset-budgets';

/** Any JSON API: everything comes from the spec (the schema requires `pagination` for this preset). */
export const genericPreset: SourcePreset = {
  name: 'generic',
  requestBudget: PRESET_REQUEST_BUDGETS.generic,
  defaults: (resource) => {
    if (resource.pagination === undefined) throw new Error(`resources.${resource.name}.pagination: required for preset generic`);
    return { pagination: resource.pagination };
  },
};
