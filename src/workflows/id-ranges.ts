/** One contiguous slice of an id range: the ids in (after, upTo]. */
export interface IdRange {
  after: number;
  upTo: number;
}

/** Splits [min, max] into at most `count` contiguous, non-overlapping ranges that cover it exactly. */
export function splitIdRange(min: number, max: number, count: number): IdRange[] {
  const span = max - min + 1;
  const parts = Math.max(1, Math.min(count, span));
  const ranges: IdRange[] = [];
  for (let i = 0; i < parts; i++) {
    const from = min + Math.floor((span * i) / parts);
    const to = min + Math.floor((span * (i + 1)) / parts) - 1;
    ranges.push({ after: from - 1, upTo: to });
  }
  return ranges;
}
