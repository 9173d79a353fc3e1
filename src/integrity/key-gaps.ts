/** Runs of missing ids in a numeric key: what a silently skipped page leaves behind in a monotonic key. */
export interface KeyGap {
  /** The first and last missing id. */
  from: number;
  to: number;
  missing: number;
}

/**
 * Gaps wider than `maxGap` between consecutive stored ids (non-numeric keys are ignored). Ids are expected to
 * be dense but not perfectly so — deleted rows leave holes — hence the threshold.
 */
export function keyGaps(keys: Iterable<string>, maxGap: number, limit = 20): KeyGap[] {
  const ids: number[] = [];
  for (const key of keys) if (/^-?\d+$/.test(key)) ids.push(Number(key));
  ids.sort((a, b) => a - b);
  const gaps: KeyGap[] = [];
  for (let i = 1; i < ids.length && gaps.length < limit; i++) {
    const before = ids[i - 1] as number;
    const after = ids[i] as number;
    const missing = after - before - 1;
    if (missing > maxGap) gaps.push({ from: before + 1, to: after - 1, missing });
  }
  return gaps;
}
