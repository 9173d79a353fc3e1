/** Runs of missing ids in a numeric key: what a silently skipped page leaves behind in a monotonic key. */
export interface KeyGap {
  /** The first and last missing id: as text when beyond 2^53, where a number would round it. */
  from: number | string;
  to: number | string;
  missing: number;
}

function idOf(value: bigint): number | string {
  const id = Number(value);
  return Number.isSafeInteger(id) ? id : value.toString();
}

/**
 * Gaps wider than `maxGap` between consecutive stored ids (non-numeric keys are ignored). Ids are expected to
 * be dense but not perfectly so — deleted rows leave holes — hence the threshold. Ids are compared as bigint,
 * so ids beyond 2^53 keep their distance.
 */
export function keyGaps(keys: Iterable<string>, maxGap: number, limit = 20): KeyGap[] {
  const ids: bigint[] = [];
  for (const key of keys) if (/^-?\d+$/.test(key)) ids.push(BigInt(key));
  ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const gaps: KeyGap[] = [];
  for (let i = 1; i < ids.length && gaps.length < limit; i++) {
    const before = ids[i - 1] as bigint;
    const after = ids[i] as bigint;
    const missing = after - before - 1n;
    if (missing > BigInt(maxGap)) gaps.push({ from: idOf(before + 1n), to: idOf(after - 1n), missing: Number(missing) });
  }
  return gaps;
}
