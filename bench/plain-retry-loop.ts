import { fetchPage, type FetchPageInput, type PageSummary } from '../src/activities/fetch-page';
import { persistPage } from '../src/activities/persist-page';
import type { PageCursor } from '../src/pagination/types';
import { SinkPool } from '../src/sinks/open-sink';
import type { ExportSpecInput } from '../src/spec/export-spec';
import { parseExportSpec } from '../src/spec/parse-spec';

/** What a careful script does: every request gets 5 s, and any failure is tried again after a fixed second. */
export const PLAIN_TIMEOUT_MS = 5_000;
export const PLAIN_RETRY_DELAY_MS = 1_000;
const PLAIN_ATTEMPTS = 10;

export interface PlainOutcome {
  records: number;
  pages: number;
  retries: number;
}

async function withRetries<T>(what: string, step: () => Promise<T>, onRetry: () => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (attempt >= PLAIN_ATTEMPTS) throw new Error(`${what}: gave up after ${attempt} attempts: ${(error as Error).message}`, { cause: error });
      onRetry();
      await new Promise((resolve) => setTimeout(resolve, PLAIN_RETRY_DELAY_MS));
    }
  }
}

/**
 * The loop without Temporal, as bench/overhead.ts runs it (same HTTP client, pagination, staging and upserts
 * into the same sink), given what such a loop usually has against faults: fixed request timeouts
 * (`latencyTimeouts: false`, `requestTimeoutMs` 5 s) and a fixed pause before each retry, in one process.
 */
export async function plainRetryLoop(input: ExportSpecInput): Promise<PlainOutcome> {
  const spec = parseExportSpec({ ...input, source: { ...input.source, requestTimeoutMs: PLAIN_TIMEOUT_MS, latencyTimeouts: false } });
  const resource = spec.resources[0];
  if (resource === undefined) throw new Error('the plain loop needs a spec with one resource');
  const runId = `plain-${Date.now()}`;
  const sinks = new SinkPool();
  const outcome: PlainOutcome = { records: 0, pages: 0, retries: 0 };
  const retried = (): void => void (outcome.retries += 1);
  let cursor: PageCursor | null = null;
  try {
    for (let pageNumber = 1; ; pageNumber++) {
      const fetchInput: FetchPageInput = { runId, traversal: resource.name, source: spec.source, resource, sink: spec.sink, pageNumber, cursor };
      const page: PageSummary = await withRetries(`page ${pageNumber}`, () => fetchPage(sinks, fetchInput), retried);
      const persistInput = { runId, traversal: resource.name, sink: spec.sink, resource, ref: page.ref, pageNumber, cursorBefore: page.requested, cursorAfter: null, sha256: page.sha256 };
      await withRetries(`persist of page ${pageNumber}`, () => persistPage(sinks, persistInput), retried);
      outcome.records += page.recordCount;
      outcome.pages += 1;
      cursor = page.next;
      if (cursor === null) return outcome;
    }
  } finally {
    await sinks.close();
  }
}
