import type { ResourceConfig } from '../spec/export-spec';
import type { SourcePreset } from './source-preset';
import { PRESET_REQUEST_BUDGETS } from './preset-budgets';

/**
 * 1EdTech OneRoster 1.1/1.2 REST (`baseUrl` up to `/ims/oneroster/rostering/v1p2`). Collections page by
 * `limit` (default 100) and `offset`, report their size in `X-Total-Count`, and wrap records in an envelope
 * named for the collection: `{"users": [...]}`. `filter` and `sort` go through unchanged in `query`.
 * A Link header, when a server sends one, is not needed: offsets reach every page.
 */
const ENVELOPES: Record<string, string> = {
  students: 'users',
  teachers: 'users',
  terms: 'academicSessions',
  gradingPeriods: 'academicSessions',
};

/** The envelope key of a collection path: its last literal segment, mapped where OneRoster names it otherwise. */
export function onerosterEnvelope(resource: ResourceConfig): string {
  const segment = resource.path.split('/').filter((part) => part !== '' && !part.startsWith('{')).pop() ?? '';
  return ENVELOPES[segment] ?? segment;
}

export const onerosterPreset: SourcePreset = {
  name: 'oneroster',
  requestBudget: PRESET_REQUEST_BUDGETS.oneroster,
  defaults: (resource) => ({
    pagination: { type: 'offset', offsetParam: 'offset', limitParam: 'limit', recordsPath: onerosterEnvelope(resource), stopOnShortPage: false },
    pageSize: 100,
    total: { header: 'X-Total-Count' },
  }),
};
