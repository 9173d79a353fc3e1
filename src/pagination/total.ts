import { readJsonPath } from './json-path';
import type { PageResponse } from './types';

export interface TotalSource {
  /** Header with the collection's size, e.g. `Total-Count` (Ed-Fi) or `X-Total-Count` (OneRoster). */
  header?: string;
  /** Dotted path to a total in the body. */
  path?: string;
}

/** The collection size the API reports with this page, if it reports one. */
export function readTotal(response: PageResponse, source: TotalSource): number | undefined {
  const raw = source.header !== undefined ? response.headers[source.header.toLowerCase()] : source.path !== undefined ? readJsonPath(response.body, source.path) : undefined;
  const total = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  return typeof total === 'number' && Number.isInteger(total) && total >= 0 ? total : undefined;
}
