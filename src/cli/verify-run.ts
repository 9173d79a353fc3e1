import type { AuditRow, Sink } from '../sinks/sink';
import { parseJson } from '../pagination/record-json';
import { canonicalJson, sha256 } from '../sinks/page-rows';
import { chainLink, genesisLink, RowsDigest, runSeal } from '../integrity/audit-chain';

export interface ResourceVerification {
  resource: string;
  verdict: string;
  pages: number;
  rowsChecked: number;
  seal: string;
  /** Why it does not hold; empty when it does. */
  problems: string[];
  /** Checks that could not apply, e.g. rows rewritten since by a later run. */
  notes: string[];
}

export interface RunVerification {
  runId: string;
  holds: boolean;
  resources: ResourceVerification[];
}

const MAX_PROBLEMS_PER_CHECK = 5;

/** Recomputes each traversal's chain from its audit rows; returns the traversals' last links and any break. */
function verifyChains(runId: string, audit: AuditRow[], problems: string[]): Array<{ traversal: string; link: string }> {
  const byTraversal = new Map<string, AuditRow[]>();
  for (const row of audit) byTraversal.set(row.resource, [...(byTraversal.get(row.resource) ?? []), row]);
  const heads: Array<{ traversal: string; link: string }> = [];
  for (const [traversal, rows] of byTraversal) {
    let link = genesisLink(runId, traversal);
    let broken = false;
    for (const row of [...rows].sort((a, b) => a.pageNumber - b.pageNumber)) {
      const expected = chainLink(link, row.sha256, row.rowsDigest ?? '');
      if (!broken && expected !== row.chainLink) {
        problems.push(`${traversal} page ${row.pageNumber}: the audit chain breaks here (audit row altered, removed or reordered)`);
        broken = true;
      }
      link = expected;
    }
    heads.push({ traversal, link });
  }
  return heads;
}

/**
 * Does a run's record hold? Recomputes every audit chain of each resource the run assessed, re-hashes every
 * row the run left in the table from its stored record, checks each row's page is in the chain, and
 * recomputes the run's seal. Rows a later run rewrote cannot be judged against this one and are noted.
 * It reads a sink, so it sits with the CLI's other readers of one (dump, export-file), above both sinks and integrity's pure checks.
 */
export async function verifyRun(sink: Sink, runId: string, primaryKeys: Map<string, string[]>): Promise<RunVerification> {
  const runs = await sink.ledger.runs(runId);
  const resources: ResourceVerification[] = [];
  for (const run of runs) {
    const problems: string[] = [];
    const notes: string[] = [];
    const audit = await sink.readRunAudit(runId, run.resource);
    const heads = verifyChains(runId, audit, problems);

    const table = { name: run.resource, primaryKey: primaryKeys.get(run.resource) ?? [] };
    const pages = new Set(audit.map((row) => row.sha256));
    const rows = await sink.readRunRows(runId, table, { records: true });
    const digest = new RowsDigest();
    let altered = 0;
    let orphaned = 0;
    for (const row of rows) {
      digest.add(row.key, row.hash);
      if (sha256(canonicalJson(parseJson(row.recordJson ?? 'null'))) !== row.hash && altered++ < MAX_PROBLEMS_PER_CHECK) {
        problems.push(`row ${row.key}: its record no longer matches the hash stored with it (changed after the run)`);
      }
      if (!pages.has(row.pageSha256) && orphaned++ < MAX_PROBLEMS_PER_CHECK) problems.push(`row ${row.key}: its page is not in the run's audit chain`);
    }
    // Re-hashing covers the rows present; a row the audit says was stored but the table lacks is a failure too.
    const lost = await sink.missingAuditedRows(runId, table, audit);
    if (lost.first !== null) {
      const { key, traversal, page } = lost.first;
      problems.push(`row ${key}: stored by ${traversal} page ${page} but missing from the table (${lost.missing} audited row${lost.missing === 1 ? '' : 's'} missing)`);
    }
    for (const pagesGone of lost.lostPages) problems.push(`${pagesGone}: gone from the audit (the run stored them; the sink lost them?)`);
    const later = await sink.ledger.lastRun(run.resource, runId);
    const superseded = later !== undefined && later.assessedAt !== undefined && run.assessedAt !== undefined && later.assessedAt > run.assessedAt;
    if (superseded) {
      notes.push(`run ${later.runId} wrote ${run.resource} since: rows it rewrote now belong to it, so the seal is not recomputed`);
    } else if (runSeal(heads, digest.digest()) !== run.seal) {
      problems.push(`the seal does not match: ${rows.length} rows now carry this run (${run.storedRows} when it ended), or their hashes changed`);
    }
    resources.push({ resource: run.resource, verdict: run.verdict, pages: audit.length, rowsChecked: rows.length, seal: run.seal, problems, notes });
  }
  return { runId, holds: runs.length > 0 && resources.every((r) => r.problems.length === 0), resources };
}

export function formatVerification(result: RunVerification): string {
  if (result.resources.length === 0) return `run ${result.runId}: no assessed resources in this sink — nothing to verify`;
  const lines = [`run ${result.runId}: ${result.holds ? 'the audit chain holds' : 'the audit chain does NOT hold'}`];
  for (const r of result.resources) {
    lines.push(`  ${r.resource}: ${r.problems.length === 0 ? 'holds' : 'broken'} — ${r.pages} pages, ${r.rowsChecked} rows re-hashed; verdict ${r.verdict}; seal ${r.seal}`);
    for (const problem of r.problems) lines.push(`    ✗ ${problem}`);
    for (const note of r.notes) lines.push(`    · ${note}`);
  }
  return lines.join('\n');
}
