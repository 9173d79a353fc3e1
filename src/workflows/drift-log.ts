import type { DriftFinding } from '../integrity/fingerprint';

/** Findings a report keeps: the first of each kind and field, at most this many (history stays small). */
const MAX_DRIFT_FINDINGS = 20;

export function withDrift(known: DriftFinding[], found: DriftFinding[]): DriftFinding[] {
  const result = [...known];
  for (const finding of found) {
    if (result.length >= MAX_DRIFT_FINDINGS) break;
    if (!result.some((f) => f.kind === finding.kind && f.field === finding.field)) result.push(finding);
  }
  return result;
}
