import type { PaginationConfig, ResourceConfig, SourceConfig } from '../spec/export-spec';
import type { PaginationStrategy, RequestContext } from '../pagination/types';
import type { TotalSource } from '../pagination/total';
import type { FailureType } from '../failures';
import type { PresetRequestBudget } from './preset-budgets';

/** What a preset settles for one resource: how to page it, what the requests carry, where the total is. */
export interface ResolvedPaging {
  pagination: PaginationConfig;
  strategy: PaginationStrategy;
  request: RequestContext;
  /** Query parameters only the first request carries (Ed-Fi `totalCount=true` on limit/offset paging). */
  firstQuery: Record<string, string>;
  total: TotalSource;
  /**
   * The server pages only from tokens it handed out (Ed-Fi ODS/API 7.3 key-set paging): a traversal without a
   * token starts from the first of `GET <resource>/partitions?number=1` (activities/list-partitions.ts).
   */
  firstTokenFromPartitions?: boolean;
  /** The request that asks the collection's size on its own, when pages cannot carry it (Ed-Fi key-set paging). */
  countQuery?: Record<string, string>;
}


/** An error an API reports inside a 200 body (Moodle). */
export interface BodyError {
  retryable: boolean;
  type: typeof FailureType.Unauthorized | typeof FailureType.BadRequest | typeof FailureType.ServerError;
  message: string;
}

/** A source system's known behaviour, applied where the spec does not say otherwise. */
export interface PresetDefaults {
  pagination: PaginationConfig;
  pageSize?: number;
  /** The server's page-size limit; larger requests are lowered to it (or the server would refuse or clamp). */
  maxPageSize?: number;
  total?: TotalSource;
  firstQuery?: Record<string, string>;
  firstTokenFromPartitions?: boolean;
  countQuery?: Record<string, string>;
  /** Query parameters every request carries (a resource's own `query` wins). */
  query?: Record<string, string>;
}


export interface SourcePreset {
  name: SourceConfig['preset'];
  requestBudget: PresetRequestBudget;
  defaults(resource: ResourceConfig): PresetDefaults;
  bodyError?(body: unknown): BodyError | undefined;
}
