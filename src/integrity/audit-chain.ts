import { createHash } from 'node:crypto';

/**
 * The audit chain: each persisted page's link is the SHA-256 of the previous link, the page's own SHA-256 (of
 * the response body) and the digest of the rows it stored. Changing, dropping or reordering an audit row
 * breaks every later link; the run's seal adds the digest of every row the run left in the table, so a row
 * altered afterwards breaks the seal. `lms-export verify` recomputes both.
 */
function sha256(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\n');
  return hash.digest('hex');
}

/** Where a traversal's chain starts: bound to the run and the traversal, so chains cannot be swapped. */
export function genesisLink(runId: string, traversal: string): string {
  return sha256('lms-export audit chain', runId, traversal);
}

export function chainLink(previous: string, pageSha256: string, rowsDigest: string): string {
  return sha256(previous, pageSha256, rowsDigest);
}

/** A digest of key/hash pairs, in the order given (callers sort). */
export class RowsDigest {
  private readonly hash = createHash('sha256');
  private count = 0;

  add(key: string, rowHash: string): void {
    this.hash.update(key).update('\t').update(rowHash).update('\n');
    this.count += 1;
  }

  get rows(): number {
    return this.count;
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

export function rowsDigestOf(rows: Array<{ key: string; hash: string }>): string {
  const digest = new RowsDigest();
  for (const row of [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) digest.add(row.key, row.hash);
  return digest.digest();
}

/** The run's seal over one resource: its traversals' last links (by name) and the digest of its stored rows. */
export function runSeal(traversalHeads: Array<{ traversal: string; link: string }>, storedRowsDigest: string): string {
  const heads = [...traversalHeads].sort((a, b) => (a.traversal < b.traversal ? -1 : 1)).map((h) => `${h.traversal}=${h.link}`);
  return sha256(...heads, storedRowsDigest);
}
