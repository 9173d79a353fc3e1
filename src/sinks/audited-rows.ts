import type { MissingAuditedRows } from '../integrity/verdict';
import type { AuditRow } from './sink';
import type { SqlExecutor, SqlRow } from './sql-driver';
import { queryByKeys } from './key-lists';

/** Audited pages read at a time: their keys are checked a batch of pages at a time, never all of a run at once. */
const PAGES_PER_READ = 50;

/** A traversal's pages are numbered 1, 2, 3…; a second pass or a cursor restart carries on the numbering of its first. */
function firstPageOf(traversal: string): number | null {
  return /~(reconcile|restart\d+)/.test(traversal) ? null : 1;
}

function ranges(numbers: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    let j = i;
    while (j + 1 < numbers.length && (numbers[j + 1] as number) === (numbers[j] as number) + 1) j += 1;
    parts.push(i === j ? `${numbers[i]}` : `${numbers[i]}–${numbers[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** Page numbers missing from each traversal's audit: before its first row, or between two rows. */
export function lostPagesOf(audit: AuditRow[]): string[] {
  const byTraversal = new Map<string, number[]>();
  for (const row of audit) byTraversal.set(row.resource, [...(byTraversal.get(row.resource) ?? []), row.pageNumber]);
  const lost: string[] = [];
  for (const [traversal, pages] of [...byTraversal].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...new Set(pages)].sort((a, b) => a - b);
    const from = firstPageOf(traversal) ?? sorted[0] ?? 1;
    const absent: number[] = [];
    for (let page = from, i = 0; i < sorted.length; page += 1) {
      if ((sorted[i] as number) <= page) i += 1;
      else absent.push(page);
    }
    if (absent.length > 0) lost.push(`${traversal}: page${absent.length > 1 ? 's' : ''} ${ranges(absent)}`);
  }
  return lost;
}

/** A run's audited pages that record their keys, by traversal and page, a batch of pages at a time (keyset). */
async function* auditedPageBatches(db: SqlExecutor, audit: string, runId: string): AsyncIterable<SqlRow[]> {
  let after: { traversal: string; page: number } | null = null;
  for (;;) {
    const since = after === null ? '' : ' AND (traversal > $3 OR (traversal = $3 AND page_number > $4))';
    const pages = await db.query(
      `SELECT traversal, page_number, row_keys FROM ${audit} WHERE run_id = $1 AND row_keys IS NOT NULL${since} ORDER BY traversal, page_number LIMIT $2`,
      after === null ? [runId, PAGES_PER_READ] : [runId, PAGES_PER_READ, after.traversal, after.page],
    );
    if (pages.length > 0) yield pages;
    const last = pages[pages.length - 1];
    if (last === undefined || pages.length < PAGES_PER_READ) return;
    after = { traversal: String(last['traversal']), page: Number(last['page_number']) };
  }
}

/**
 * Compares the keys each audited page recorded with the rows the table holds (any run's: a later run may have
 * rewritten them, which is not a loss), and the audit's page numbers with an unbroken 1, 2, 3…. The keys of a
 * batch of pages are looked up together: a fan-out's thousand one-page parents cost a few statements per batch,
 * not one each.
 */
export async function auditedRowsMissing(db: SqlExecutor, tables: { audit: string; rows: string }, runId: string, audit: AuditRow[]): Promise<MissingAuditedRows> {
  const traversals = new Set(audit.map((row) => row.resource));
  let missing = 0;
  let first: MissingAuditedRows['first'] = null;
  for await (const pages of auditedPageBatches(db, tables.audit, runId)) {
    const audited = pages
      .filter((page) => traversals.has(String(page['traversal'])))
      .flatMap((page) => (JSON.parse(String(page['row_keys'])) as string[]).map((key) => ({ key, traversal: String(page['traversal']), page: Number(page['page_number']) })));
    const found = await queryByKeys(db, [...new Set(audited.map((a) => a.key))], (keyList) => `SELECT _key FROM ${tables.rows} WHERE _key IN (${keyList})`);
    const stored = new Set(found.map((r) => String(r['_key'])));
    for (const entry of audited) {
      if (stored.has(entry.key)) continue;
      missing += 1;
      first ??= entry;
    }
  }
  return { missing, first, lostPages: lostPagesOf(audit) };
}
