import { ApplicationFailure } from '@temporalio/activity';
import { firstPageUrl } from '../pagination/first-request';
import { resolvePaging } from '../sources/resolve-paging';
import type { ResourceConfig, SourceConfig } from '../spec/export-spec';
import { credentialsFor } from './credentials';
import { getJson } from './get-json';
import { FailureType } from '../failures';

export interface ListPartitionsInput {
  source: SourceConfig;
  resource: ResourceConfig;
  count: number;
}

/**
 * Ed-Fi's starting tokens: `GET {resource}/partitions?number=N` (with the resource's own filters) answers
 * `{"pageTokens": [...]}`, one per partition, each then paged with `pageToken` until its empty page. The server
 * may return fewer partitions than asked (it sizes them at no less than five pages), and none for an empty
 * collection.
 */
export async function partitionTokens(source: SourceConfig, resource: ResourceConfig, count: number): Promise<string[]> {
  const paging = resolvePaging(source, resource);
  const path = `${resource.path.replace(/\/+$/, '')}/partitions`;
  const url = firstPageUrl({ ...paging.request, path, pageSize: undefined }, undefined, { number: String(count) });
  const { body } = await getJson(url, source, credentialsFor(source), `resource ${resource.name} partitions`);
  const tokens = (body as { pageTokens?: unknown } | null)?.pageTokens;
  if (!Array.isArray(tokens) || !tokens.every((t): t is string => typeof t === 'string' && t !== '')) {
    throw ApplicationFailure.nonRetryable(`resource ${resource.name}: the partitions answer has no "pageTokens" list of strings`, FailureType.PageFormatError);
  }
  return tokens;
}

/** The partitions of a partitioned Ed-Fi resource: where each starts. */
export async function listPartitions(input: ListPartitionsInput): Promise<string[]> {
  return partitionTokens(input.source, input.resource, input.count);
}
