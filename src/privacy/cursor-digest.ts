import { createHash } from 'node:crypto';

/**
 * How a run report (its start and end cursor), and so the run ledger, the alert webhook and every reader of a
 * report, names a page request: `sha256:` and the hex SHA-256 of the URL as the audit trail keeps it in
 * `cursor_before`. A cursor can encode record values (a Canvas bookmark of users holds a sortable name:
 * `bookmark:WyJQYXRlbDQsIFByaXlhIiw1XQ` is `["Patel4, Priya",5]`), and a report travels further than workflow
 * history; the digest still finds the page: `WHERE encode(sha256(convert_to(cursor_before, 'UTF8')), 'hex') = '…'` (docs/spec.md).
 */
export function cursorDigest(requestedUrl: string): string {
  return `sha256:${createHash('sha256').update(requestedUrl, 'utf8').digest('hex')}`;
}
