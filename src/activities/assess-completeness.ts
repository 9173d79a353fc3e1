import { ApplicationFailure } from '@temporalio/activity';
import { runSeal, RowsDigest } from '../integrity/audit-chain';
import { runDrift, type DriftFinding } from '../integrity/fingerprint';
import { keyGaps } from '../integrity/key-gaps';
import { countCheck, verdictOf, verdictText, type CompletenessFindings, type SpotCheck, type Verdict } from '../integrity/verdict';
import { recordCheckFor } from '../schemas/record-check';
import type { SinkPool } from '../sinks/open-sink';
import { keyPage } from '../sinks/page-rows';
import type { AuditRow, Sink } from '../sinks/sink';
import { resolvePaging } from '../sources/resolve-paging';
import type { ResourceConfig, SinkConfig, SourceConfig } from '../spec/export-spec';
import { credentialsFor } from './credentials';
import { countRecords } from './count-records';
import { getJson } from './get-json';
import { FailureType } from '../failures';

export interface AssessCompletenessInput {
  runId: string;
  source: SourceConfig;
  resource: ResourceConfig;
  sink: SinkConfig;
  /** An incremental traversal reads only changed rows: key gaps are expected then and not scanned. */
  fullTraversal?: boolean;
  /** What the traversal reported: the API's totals, records set aside, rows a second pass found, drift seen. */
  traversal: {
    expectedAtStart: number | null;
    expectedAtEnd: number | null;
    quarantined: number;
    reconciledRows: number;
    drift: DriftFinding[];
    startCursor: string | null;
    endCursor: string | null;
  };
}

export interface CompletenessReport {
  verdict: Verdict;
  findings: CompletenessFindings;
  /** The seal over the resource's audit chains and the rows the run stored (`lms-export verify` recomputes it). */
  seal: string;
  storedRows: number;
}

/**
 * First, middle and last page of the traversal proper (second passes and update scans re-read parts of it) among
 * those that held records: an empty last page (Ed-Fi ends every traversal with one) proves nothing.
 */
function spotCheckPages(audit: AuditRow[]): AuditRow[] {
  const main = audit.filter((row) => !/~(reconcile|updates)/.test(row.resource) && row.cursorBefore !== null && row.recordCount > 0);
  const picks = [main[0], main[Math.floor(main.length / 2)], main[main.length - 1]];
  return [...new Set(picks.filter((row): row is AuditRow => row !== undefined))];
}

/** Re-fetches a page the traversal persisted and counts its keys that are neither stored nor quarantined. */
async function spotCheck(input: AssessCompletenessInput, sink: Sink, page: AuditRow): Promise<SpotCheck> {
  const { source, resource } = input;
  const paging = resolvePaging(source, resource);
  const url = page.cursorBefore as string;
  const { answer, body } = await getJson(url, source, credentialsFor(source), `spot check of ${resource.name}`, true);
  const { records } = paging.strategy.parse({ url, headers: answer.headers, body });
  const { rows } = keyPage(records, resource.primaryKey, recordCheckFor(resource.schema));
  const keys = rows.map((r) => r.key);
  const known = await sink.knownKeys(input.runId, resource, keys);
  const missing = keys.filter((k) => !known.has(k));
  return { page: page.pageNumber, traversal: page.resource, keys: keys.length, notStored: missing.length, example: missing[0] ?? null };
}

/**
 * After a resource's traversal: do the stored rows account for what the source holds? Compares the rows seen
 * with the API's totals, scans a dense numeric key for gaps, re-fetches the first, a middle and the last page
 * to confirm their keys are stored, compares the run's shape with the last run's, and seals the run (audit
 * chains plus the digest of every row it stored). The verdict and findings go to the run ledger and report.
 */
export async function assessCompleteness(sinks: SinkPool, input: AssessCompletenessInput): Promise<CompletenessReport> {
  const { resource, runId, traversal } = input;
  const sink = await sinks.get(input.sink);
  const maxGap = resource.completeness.maxKeyGap;
  const scansGaps = maxGap !== undefined && resource.primaryKey.length === 1 && input.fullTraversal !== false;
  // The run's rows are walked in batches, never held whole: a worker's memory must not grow with the export.
  const digest = new RowsDigest();
  const ids: string[] = [];
  for await (const batch of sink.runRowBatches(runId, resource)) {
    for (const row of batch) {
      digest.add(row.key, row.hash);
      if (scansGaps) ids.push((JSON.parse(row.key) as string[])[0] ?? '');
    }
  }
  const storedRows = digest.rows;

  // A source whose pages carry no total (Ed-Fi key-set paging) is asked it now, on its own.
  const expectedAtEnd = traversal.expectedAtEnd ?? (await countRecords(input.source, resource));
  const count = countCheck(storedRows + traversal.quarantined, traversal.expectedAtStart, expectedAtEnd, resource.completeness.countTolerance);
  const gaps = scansGaps ? keyGaps(ids, maxGap) : null;

  const audit = await sink.readRunAudit(runId, resource.name);
  const spotChecks: SpotCheck[] = [];
  for (const page of resource.completeness.spotCheck ? spotCheckPages(audit) : []) {
    try {
      spotChecks.push(await spotCheck(input, sink, page));
    } catch (error) {
      // A passing fault retries the whole assessment (it writes nothing until the end). A page that cannot be
      // read at all is evidence, not the export: the verdict is left to the other checks.
      if (error instanceof ApplicationFailure && !error.nonRetryable) throw error;
      const unverified = error instanceof ApplicationFailure && error.type === FailureType.CursorExpired ? 'cursor expired' : 'could not re-fetch';
      spotChecks.push({ page: page.pageNumber, traversal: page.resource, keys: 0, notStored: 0, example: null, error: (error as Error).message, unverified });
    }
  }

  const last = await sink.ledger.lastRun(resource.name, runId);
  const fingerprint = await sink.ledger.runFingerprint(runId, resource.name);
  const drift = [...traversal.drift, ...(last === undefined ? [] : runDrift(last.fingerprint, fingerprint))];

  // The traversal's counters say what it stored; the sink says what it still holds (a database dropped mid-run).
  const lost = await sink.missingAuditedRows(runId, resource, audit);
  const findings: CompletenessFindings = { count, gaps, spotChecks, drift, reconciledRows: traversal.reconciledRows, lost };
  const verdict = verdictText(verdictOf(findings));

  const rowsDigest = digest.digest();
  const heads = new Map<string, string>();
  for (const row of audit) if (row.chainLink !== null) heads.set(row.resource, row.chainLink);
  const seal = runSeal([...heads].map(([name, link]) => ({ traversal: name, link })), rowsDigest);

  await sink.ledger.recordRun({
    runId,
    resource: resource.name,
    verdict,
    findings,
    fingerprint,
    startCursor: traversal.startCursor,
    endCursor: traversal.endCursor,
    seal,
    rowsDigest,
    storedRows,
  });
  return { verdict, findings, seal, storedRows };
}
