import { jsonCursorStrategy } from '../pagination/json-cursor';
import { keysetStrategy } from '../pagination/keyset';
import { linkHeaderStrategy } from '../pagination/link-header';
import { offsetStrategy } from '../pagination/offset';
import { pageNumberStrategy } from '../pagination/page-number';
import { tokenHeaderStrategy } from '../pagination/token-header';
import type { PaginationStrategy } from '../pagination/types';
import type { PaginationConfig } from '../spec/export-spec';

/** Builds the pure strategy that a validated pagination config names. */
export function strategyFor(pagination: PaginationConfig): PaginationStrategy {
  switch (pagination.type) {
    case 'link-header':
      return linkHeaderStrategy(pagination);
    case 'json-cursor':
      return jsonCursorStrategy(pagination);
    case 'offset':
      return offsetStrategy(pagination);
    case 'page-number':
      return pageNumberStrategy(pagination);
    case 'keyset':
      return keysetStrategy(pagination);
    case 'token-header':
      return tokenHeaderStrategy(pagination);
    case 'body-link':
      return jsonCursorStrategy({ recordsPath: pagination.recordsPath, nextUrlPath: pagination.nextPath, cursorParam: 'cursor', pageSizeParam: pagination.pageSizeParam });
  }
}
