import type { PageCursor } from '../pagination/types';
import type { ResourceConfig, SourceConfig } from '../spec/export-spec';
import { blackboardPreset } from './blackboard';
import { canvasPreset } from './canvas';
import { edfiPreset } from './edfi';
import { genericPreset } from './generic';
import { moodlePreset } from './moodle';
import { onerosterPreset } from './oneroster';
import type { ResolvedPaging, SourcePreset } from './source-preset';
import { strategyFor } from './strategy-for';

const presets: Record<SourceConfig['preset'], SourcePreset> = {
  canvas: canvasPreset,
  edfi: edfiPreset,
  oneroster: onerosterPreset,
  blackboard: blackboardPreset,
  moodle: moodlePreset,
  generic: genericPreset,
};

export function presetOf(source: SourceConfig): SourcePreset {
  return presets[source.preset];
}

/** The URL of the request at `cursor`; the first request also carries the preset's first-only parameters. */
export function pageRequestUrl(paging: ResolvedPaging, cursor: PageCursor | null): string {
  const url = new URL(paging.strategy.requestUrl(paging.request, cursor));
  if (cursor === null) for (const [name, value] of Object.entries(paging.firstQuery)) url.searchParams.set(name, value);
  return url.toString();
}

/** The spec's own settings, with the preset's defaults filling what it leaves out. */
export function resolvePaging(source: SourceConfig, resource: ResourceConfig): ResolvedPaging {
  const defaults = presetOf(source).defaults(resource);
  const pagination = resource.pagination ?? defaults.pagination;
  const asked = resource.pageSize ?? defaults.pageSize;
  const pageSize = asked !== undefined && defaults.maxPageSize !== undefined ? Math.min(asked, defaults.maxPageSize) : asked;
  return {
    pagination,
    strategy: strategyFor(pagination),
    request: { baseUrl: source.baseUrl, path: resource.path, pageSize, query: { ...defaults.query, ...resource.query } },
    firstQuery: defaults.firstQuery ?? {},
    total: resource.total ?? defaults.total ?? {},
    // Only a token-header traversal starts from a server token; a spec that pages otherwise asks nothing first.
    ...(pagination.type === 'token-header' && defaults.firstTokenFromPartitions === true ? { firstTokenFromPartitions: true, countQuery: defaults.countQuery } : {}),
  };
}
