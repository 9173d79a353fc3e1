import { ApplicationFailure } from '@temporalio/activity';
import { firstPageUrl } from '../pagination/first-request';
import { resolvePaging } from '../sources/resolve-paging';
import type { ResourceConfig, SourceConfig } from '../spec/export-spec';
import { credentialsFor } from './credentials';
import { getJson } from './get-json';

export interface ListPartitionsInput {
  source: SourceConfig;
  resource: ResourceConfig;
  count: number;
}

/**
 * Ed-Fi partitioned paging: `GET {resource}/partitions?number=N` (with the resource's own filters) answers
 * `{"pageTokens": [...]}`, one starting token per partition; each partition then pages with `pageToken` until
 * its empty page. The server may return fewer partitions than asked (it sizes them at no less than five pages).
 */
export async function listPartitions(input: ListPartitionsInput): Promise<string[]> {
  const { source, resource } = input;
  const paging = resolvePaging(source, resource);
  const path = `${resource.path.replace(/\/+$/, '')}/partitions`;
  const url = firstPageUrl({ ...paging.request, path }, undefined, { number: String(input.count) });
  const { body } = await getJson(url, source, credentialsFor(source), `resource ${resource.name} partitions`);
  const tokens = (body as { pageTokens?: unknown } | null)?.pageTokens;
  if (!Array.isArray(tokens) || !tokens.every((t): t is string => typeof t === 'string' && t !== '')) {
    throw ApplicationFailure.nonRetryable(`resource ${resource.name}: the partitions answer has no "pageTokens" list of strings`, 'PageFormatError');
  }
  return tokens;
}
