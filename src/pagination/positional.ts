import type { PaginationConfig } from '../spec/export-spec';
import type { PageCursor } from './types';

/** Query parameters that, holding a number, mark a next link as a position (Blackboard `offset`, Canvas `page=3`). */
const POSITION_PARAMS = ['offset', 'page', 'start', 'skip', 'limitfrom'];

/**
 * Whether a traversal pages by position (offset or page number), so rows inserted or deleted mid-run shift
 * what later pages hold. Offset and page-number strategies always do; a next link does when it carries a
 * numeric position (Canvas numbered pages, Blackboard's `paging.nextPage`), not when it carries a bookmark.
 */
export function pagesByPosition(pagination: PaginationConfig, next: PageCursor | null, requested: string): boolean {
  if (pagination.type === 'offset' || pagination.type === 'page-number') return true;
  const link = next?.kind === 'url' ? next.url : pagination.type === 'link-header' || pagination.type === 'body-link' ? requested : undefined;
  if (link === undefined) return false;
  const params = new URL(link).searchParams;
  return POSITION_PARAMS.some((name) => /^\d+$/.test(params.get(name) ?? ''));
}
