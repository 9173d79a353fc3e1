import { ApplicationFailure } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { assertSameOrigin, ForeignLinkError } from '../pagination/first-request';
import { PageFormatError, type PageCursor } from '../pagination/types';
import type { SinkPool } from '../sinks/open-sink';
import { resolvePaging } from '../sources/resolve-paging';
import type { ResourceConfig, SinkConfig, SourceConfig } from '../spec/export-spec';
import { classifyResponse } from './classify-response';
import { httpGet } from './http-client';

export interface FetchPageInput {
  runId: string;
  source: SourceConfig;
  resource: ResourceConfig;
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
  /** The URL that was requested, for the audit trail (it carries no credentials: the token is a header). */
  requested: string;
  next: PageCursor | null;
}

export function stagingRef(runId: string, resource: string, pageNumber: number): string {
  return `${runId}/${resource}/${pageNumber}`;
}

function bearerToken(source: SourceConfig): string | undefined {
  const name = source.auth?.bearerTokenEnv;
  if (name === undefined) return undefined;
  const token = process.env[name];
  if (token === undefined || token === '') {
    throw ApplicationFailure.nonRetryable(`source.auth.bearerTokenEnv: environment variable ${name} is not set on this worker`, 'AuthMissing');
  }
  return token;
}

export async function fetchPage(sinks: SinkPool, input: FetchPageInput): Promise<PageSummary> {
  const { source, resource } = input;
  const paging = resolvePaging(source, resource);
  const url = paging.strategy.requestUrl(paging.request, input.cursor);
  const token = bearerToken(source);
  const headers: Record<string, string> = { accept: 'application/json', ...source.headers };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;

  const answer = await httpGet(url, source, headers);
  const bodyText = answer.body.toString('utf8');
  const verdict = classifyResponse({
    status: answer.status,
    headers: answer.headers,
    bodyText: bodyText.slice(0, 2_000),
    method: 'GET',
    path: new URL(url).pathname,
    tokenEnv: source.auth?.bearerTokenEnv,
    now: Date.now(),
  });
  if (verdict.kind === 'fatal') throw ApplicationFailure.nonRetryable(`resource ${resource.name}: ${verdict.message}`, verdict.type);
  if (verdict.kind === 'throttled') {
    throw ApplicationFailure.create({ message: verdict.message, type: 'Throttled', nextRetryDelay: verdict.retryAfterMs });
  }
  if (verdict.kind === 'retry') throw ApplicationFailure.retryable(verdict.message, 'ServerError');

  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    throw ApplicationFailure.retryable(`resource ${resource.name}: unreadable JSON from ${new URL(url).pathname} (${answer.body.length} bytes)`, 'UnreadableBody');
  }
  let parsed;
  try {
    parsed = paging.strategy.parse({ url, headers: answer.headers, body });
    if (parsed.next?.kind === 'url') assertSameOrigin(parsed.next.url, source.baseUrl);
  } catch (error) {
    if (error instanceof PageFormatError || error instanceof ForeignLinkError) {
      throw ApplicationFailure.nonRetryable(`resource ${resource.name}: ${error.message}`, error.name);
    }
    throw error;
  }

  const ref = stagingRef(input.runId, resource.name, input.pageNumber);
  const sink = await sinks.get(input.sink);
  await sink.stagePage({ ref, runId: input.runId, resource: resource.name, pageNumber: input.pageNumber, recordsJson: JSON.stringify(parsed.records) });
  return {
    ref,
    pageNumber: input.pageNumber,
    recordCount: parsed.records.length,
    sha256: createHash('sha256').update(answer.body).digest('hex'),
    requested: url,
    next: parsed.next,
  };
}

