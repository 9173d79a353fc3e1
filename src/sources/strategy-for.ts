import { jsonCursorStrategy } from '../pagination/json-cursor';
import { linkHeaderStrategy } from '../pagination/link-header';
import type { PaginationStrategy } from '../pagination/types';
import type { PaginationConfig } from '../spec/export-spec';

/** Builds the pure strategy that a validated pagination config names. */
export function strategyFor(pagination: PaginationConfig): PaginationStrategy {
  switch (pagination.type) {
    case 'link-header':
      return linkHeaderStrategy(pagination);
    case 'json-cursor':
      return jsonCursorStrategy(pagination);
  }
}
