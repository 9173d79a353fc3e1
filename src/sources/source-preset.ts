import type { PaginationConfig, ResourceConfig, SourceConfig } from '../spec/export-spec';
import type { PaginationStrategy, RequestContext } from '../pagination/types';

/** What a preset settles for one resource: how to page it and what the first request carries. */
export interface ResolvedPaging {
  pagination: PaginationConfig;
  strategy: PaginationStrategy;
  request: RequestContext;
}

export interface SourcePreset {
  name: SourceConfig['preset'];
  resolve(source: SourceConfig, resource: ResourceConfig): ResolvedPaging;
}
