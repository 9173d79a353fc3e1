import { firstPageUrl } from '../pagination/first-request';
import { readTotal } from '../pagination/total';
import { resolvePaging } from '../sources/resolve-paging';
import type { ResourceConfig, SourceConfig } from '../spec/export-spec';
import { credentialsFor } from './credentials';
import { getJson } from './get-json';

/**
 * The collection's size asked on its own, where pages cannot carry it: Ed-Fi refuses `totalCount=true` with
 * key-set paging but answers `limit=0&totalCount=true` (no rows, a `Total-Count` header). Null when the source
 * has no such request or does not answer with a total.
 */
export async function countRecords(source: SourceConfig, resource: ResourceConfig): Promise<number | null> {
  const paging = resolvePaging(source, resource);
  if (paging.countQuery === undefined) return null;
  const url = firstPageUrl({ ...paging.request, pageSize: undefined }, undefined, paging.countQuery);
  const { answer, body } = await getJson(url, source, credentialsFor(source), `resource ${resource.name} total`);
  return readTotal({ url, headers: answer.headers, body }, paging.total) ?? null;
}
