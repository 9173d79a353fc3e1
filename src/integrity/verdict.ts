import type { DriftFinding } from './fingerprint';
import type { KeyGap } from './key-gaps';

/**
 * A resource's completeness verdict and the findings behind it. `incomplete` is kept for evidence that rows the
 * source holds are missing from the store (a count short of the announced total beyond what live changes
 * explain, a gap in a dense key); changes that a live source makes while we read it — schema drift, rows a
 * re-fetched page holds that were added since, counts within tolerance — make it `complete-with-drift`. A check
 * that could not run is not a pass: a spot check whose page could not be re-read (the server expired the
 * cursor, say) makes it `complete-unverified: <why>` when nothing else is wrong.
 *
 * `Verdict` is the text form: what activity results carry in workflow history and what reports and the run
 * ledger store, so it never changes shape. Code that reasons about a verdict reads it as a `VerdictOutcome`.
 */
export type Verdict = 'complete' | 'complete-with-drift' | `complete-unverified: ${string}` | `incomplete: ${string}`;

export type VerdictOutcome =
  | { kind: 'complete' }
  | { kind: 'complete-with-drift' }
  | { kind: 'complete-unverified'; why: string }
  | { kind: 'incomplete'; why: string };

export type VerdictKind = VerdictOutcome['kind'];

export function verdictText(outcome: VerdictOutcome): Verdict {
  switch (outcome.kind) {
    case 'complete':
    case 'complete-with-drift':
      return outcome.kind;
    case 'complete-unverified':
      return `complete-unverified: ${outcome.why}`;
    case 'incomplete':
      return `incomplete: ${outcome.why}`;
  }
}

/** The reason after `<kind>: `, everything after the first colon (reasons hold colons of their own). */
function reasonAfter(kind: VerdictKind, text: string): string {
  return text.slice(kind.length).replace(/^: ?/, '');
}

/**
 * A verdict read back from history, a report or the run ledger. Any text starting `incomplete` is incomplete,
 * as the run ledger's query reads it (`NOT LIKE 'incomplete%'`): a run is never counted complete by accident.
 * The other kinds are the kind alone or the kind and `:`; text no verdict ever held counts as `complete`, as
 * the run's search attribute always counted it.
 */
export function parseVerdict(text: string): VerdictOutcome {
  const is = (kind: VerdictKind): boolean => text === kind || text.startsWith(`${kind}:`);
  if (text.startsWith('incomplete')) return { kind: 'incomplete', why: reasonAfter('incomplete', text) };
  if (is('complete-unverified')) return { kind: 'complete-unverified', why: reasonAfter('complete-unverified', text) };
  if (is('complete-with-drift')) return { kind: 'complete-with-drift' };
  return { kind: 'complete' };
}

/** Whether a verdict says rows the source holds are missing from the store (the run then fails, plainly). */
export function isIncomplete(verdict: Verdict | undefined): boolean {
  return verdict !== undefined && parseVerdict(verdict).kind === 'incomplete';
}

export interface CountCheck {
  /** Rows this run stored or quarantined (the source served them). */
  seen: number;
  expectedAtStart: number | null;
  expectedAtEnd: number | null;
  /** How far `seen` may fall short before it counts as missing rows. */
  allowed: number;
  missing: number;
}

export interface SpotCheck {
  page: number;
  traversal: string;
  keys: number;
  /** Keys on the re-fetched page that are neither stored nor quarantined. */
  notStored: number;
  example: string | null;
  /** The page could not be re-fetched: the check did not run, and the verdict says so. */
  error?: string;
  /** Why the page was not verified, short (`cursor expired`, `could not re-fetch`). */
  unverified?: string;
}

/** What a run's audit says it stored that the sink no longer holds (the sink finds it: sinks/audited-rows.ts). */
export interface MissingAuditedRows {
  /** Keys on audited pages (those that record their keys) absent from the resource table. */
  missing: number;
  /** The first of them, by traversal and page. */
  first: { key: string; traversal: string; page: number } | null;
  /** Pages absent from a traversal's audit, e.g. `users: pages 1–3`: they were stored, then lost with the audit. */
  lostPages: string[];
}

export interface CompletenessFindings {
  count: CountCheck | null;
  gaps: KeyGap[] | null;
  spotChecks: SpotCheck[];
  drift: DriftFinding[];
  /** Rows a second pass over positional paging found the first one missed (drift handled, but drift). */
  reconciledRows: number;
  /** Rows and pages the run stored that the sink no longer holds (absent in findings recorded before the check). */
  lost?: MissingAuditedRows;
}

/** Allowed shortfall: what the total itself moved during the run, plus the configured tolerance of it. */
export function countCheck(seen: number, expectedAtStart: number | null, expectedAtEnd: number | null, tolerance: number): CountCheck | null {
  if (expectedAtEnd === null) return null;
  const moved = expectedAtStart === null ? 0 : Math.abs(expectedAtEnd - expectedAtStart);
  const allowed = moved + Math.ceil(tolerance * expectedAtEnd);
  return { seen, expectedAtStart, expectedAtEnd, allowed, missing: Math.max(0, expectedAtEnd - seen) };
}

function range(gap: KeyGap): string {
  return gap.from === gap.to ? `id ${gap.from}` : `ids ${gap.from}–${gap.to}`;
}

export function verdictOf(findings: CompletenessFindings): VerdictOutcome {
  const reasons: string[] = [];
  const { count, gaps } = findings;
  if (count !== null && count.missing > count.allowed) {
    reasons.push(`${count.missing} of ${count.expectedAtEnd} announced rows missing (${count.seen} seen)`);
  }
  if (gaps !== null && gaps.length > 0) {
    const missing = gaps.reduce((n, g) => n + g.missing, 0);
    reasons.push(`${missing} ids missing in ${gaps.length} gap(s): ${gaps.slice(0, 5).map(range).join(', ')}${gaps.length > 5 ? ', …' : ''}`);
  }
  const lost = findings.lost;
  if (lost !== undefined && lost.missing > 0 && lost.first !== null) {
    const { key, traversal, page } = lost.first;
    reasons.push(`${lost.missing} rows audited by this run are not stored (the sink lost them?), first ${key} from ${traversal} page ${page}`);
  }
  if (lost !== undefined && lost.lostPages.length > 0) {
    reasons.push(`pages this run stored are gone from the sink with their rows (the sink lost them? run the export again): ${lost.lostPages.join('; ')}`);
  }
  if (reasons.length > 0) return { kind: 'incomplete', why: reasons.join('; ') };
  const unverified = findings.spotChecks.filter((s) => s.error !== undefined);
  if (unverified.length > 0) {
    const pages = unverified.map((s) => `${s.traversal} page ${s.page} not verified (${s.unverified ?? 'could not re-fetch'})`);
    return { kind: 'complete-unverified', why: pages.join('; ') };
  }
  const drifted =
    findings.drift.length > 0 ||
    findings.reconciledRows > 0 ||
    findings.spotChecks.some((s) => s.notStored > 0) ||
    (count !== null && count.missing > 0);
  return { kind: drifted ? 'complete-with-drift' : 'complete' };
}
