import { ApplicationFailure } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { assertSameOrigin, firstPageUrl, ForeignLinkError } from '../pagination/first-request';
import { pagesByPosition } from '../pagination/positional';
import { stageableRecords, stringifyJson } from '../pagination/record-json';
import { readTotal } from '../pagination/total';
import { PageFormatError, type PageCursor, type ParsedPage } from '../pagination/types';
import type { SinkPool } from '../sinks/open-sink';
import { stagedRecordsJson } from '../sinks/staged-page';
import { stopwatch } from '../sinks/stopwatch';
import { pageRequestUrl, resolvePaging } from '../sources/resolve-paging';
import type { ResolvedPaging } from '../sources/source-preset';
import type { ResourceConfig, SinkConfig, SourceConfig } from '../spec/export-spec';
import { priorAttempts, type AttemptLog } from './attempt-log';
import { claimResourceTable } from './claim-table';
import { credentialsFor } from './credentials';
import { privacyFor, redactedForStaging } from './privacy-rules';
import { cursorDigest } from '../privacy/cursor-digest';
import { shownRequest } from './shown-request';
import { countPageFetched } from './export-metrics';
import { getJson } from './get-json';
import { partitionTokens } from './list-partitions';
import { FailureType } from '../failures';

export interface FetchPageInput {
  runId: string;
  /** The spec whose run this is, which owns the resource's table; absent in runs started before tables had owners. */
  spec?: string;
  /** Names this traversal in staging, audit rows and the loop guard: the resource, or one of its partitions. */
  traversal: string;
  source: SourceConfig;
  resource: ResourceConfig;
  /**
   * A fanned-out resource's path as the spec wrote it (`/courses/{course_id}/enrollments`), `resource.path` being
   * one parent's: what the table's claim records, so every parent makes the same claim. Absent for other
   * resources and in fan-outs started before it was passed.
   */
  pathTemplate?: string;
  sink: SinkConfig;
  pageNumber: number;
  cursor: PageCursor | null;
}

/** All the workflow learns about a page: counts, a hash and where to go next; the records stay in staging. */
export interface PageSummary {
  ref: string;
  pageNumber: number;
  recordCount: number;
  sha256: string;
  /** The URL that was requested, for the audit trail (credentials are never part of it). */
  requested: string;
  /** How the run report names the request: a digest of `requested` (privacy/cursor-digest.ts). Absent in pages fetched before reports held digests. */
  requestedDigest?: string;
  next: PageCursor | null;
  /** The collection size the API reported with this page, if it reports one. */
  total?: number;
  /** Paging by position (offset, page number): rows inserted or deleted during the run shift what later pages hold. */
  positional: boolean;
  /** What earlier attempts at this page went through (retries by cause, throttles, waits). */
  attempts: AttemptLog;
  /** Why the traversal must stop after this page although it has a next one (a next link off the source's origin). */
  refusedNext?: string;
  /** Milliseconds the request took (with its checks and parsing), and staging the records in the sink. */
  timings?: { fetchMs: number; stageMs: number };
}

export function stagingRef(runId: string, resource: string, pageNumber: number): string {
  return `${runId}/${resource}/${pageNumber}`;
}

/** Fetches one page, checks it, stages its records in the sink and returns only a summary. */
export async function fetchPage(sinks: SinkPool, input: FetchPageInput): Promise<PageSummary> {
  const { source, resource } = input;
  const watch = stopwatch();
  const paging = resolvePaging(source, resource);
  const credentials = credentialsFor(source);
  const privacy = privacyFor(resource);
  const sink = await sinks.get(input.sink);
  if (input.spec !== undefined) await claimResourceTable(sink, input.spec, source, resource, input.pathTemplate);
  const request = await requestOf(paging, source, resource, input.cursor);
  const url = credentials.keepable(request.url);
  const { answer, body } = await getJson(url, source, credentials, `resource ${resource.name}`, request.carriesCursor);
  const response = { url, headers: answer.headers, body };
  let parsed: ParsedPage;
  let refusedNext: string | undefined;
  try {
    parsed = paging.strategy.parse(response);
  } catch (error) {
    if (error instanceof PageFormatError) throw ApplicationFailure.nonRetryable(`resource ${resource.name}: ${error.message}`, error.name);
    throw error;
  }
  if (parsed.next?.kind === 'url') {
    try {
      assertSameOrigin(parsed.next.url, source.baseUrl);
      parsed.next = { kind: 'url', url: credentials.keepable(parsed.next.url) };
    } catch (error) {
      if (!(error instanceof ForeignLinkError)) throw error;
      // The page itself came from the source: its records are stored, and the traversal stops after it.
      // The message enters the report and the run's memo: the link's cursor is masked there as in every message.
      refusedNext = error.message.replace(parsed.next.url, `${new URL(parsed.next.url).origin}${shownRequest(parsed.next.url)}`);
      parsed.next = null;
    }
  }

  if (parsed.next !== null) {
    const nextUrl = paging.strategy.requestUrl(paging.request, parsed.next);
    if (nextUrl === url || (await sink.wasRequested(input.runId, input.traversal, nextUrl))) {
      throw ApplicationFailure.nonRetryable(
        `resource ${resource.name}: the server sent a next page already requested in this traversal (${shownRequest(nextUrl)}); stopping instead of looping`,
        FailureType.PagingLoop,
      );
    }
  }
  const ref = stagingRef(input.runId, input.traversal, input.pageNumber);
  const fetchMs = watch.lap();
  const records = stageableRecords(parsed.records);
  const recordsJson = privacy === undefined ? stringifyJson(records) : stagedRecordsJson(redactedForStaging(records, resource, privacy));
  await sink.stagePage({ ref, runId: input.runId, resource: input.traversal, pageNumber: input.pageNumber, recordsJson });
  const timings = { fetchMs, stageMs: watch.lap() };
  countPageFetched(parsed.records.length);
  return {
    ref,
    pageNumber: input.pageNumber,
    recordCount: parsed.records.length,
    // Under a privacy rule the page's hash covers what is stored: a hash of the body as served would let a
    // reader of the audit trail test guesses of the dropped and hashed values.
    sha256: createHash('sha256').update(privacy === undefined ? answer.body : recordsJson).digest('hex'),
    requested: url,
    requestedDigest: cursorDigest(url),
    next: parsed.next,
    total: readTotal(response, paging.total),
    positional: pagesByPosition(paging.pagination, parsed.next, url),
    attempts: priorAttempts(),
    ...(refusedNext === undefined ? {} : { refusedNext }),
    timings,
  };
}

/**
 * Where this page's request goes. A traversal on a server that pages only from its own tokens (Ed-Fi key-set
 * paging refuses `pageSize` without one) starts from the first token the server hands out; a collection with
 * none is empty, and its count request (no rows) stands for the page.
 */
async function requestOf(paging: ResolvedPaging, source: SourceConfig, resource: ResourceConfig, cursor: PageCursor | null): Promise<{ url: string; carriesCursor: boolean }> {
  if (cursor !== null || paging.firstTokenFromPartitions !== true) return { url: pageRequestUrl(paging, cursor), carriesCursor: cursor !== null };
  const [first] = await partitionTokens(source, resource, 1);
  if (first !== undefined) return { url: pageRequestUrl(paging, { kind: 'token', token: first }), carriesCursor: true };
  return { url: firstPageUrl({ ...paging.request, pageSize: undefined }, undefined, paging.countQuery ?? {}), carriesCursor: false };
}
