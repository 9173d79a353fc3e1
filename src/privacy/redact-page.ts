import type { RecordCheck, RecordIssue } from '../schemas/record-check';
import { isCoveredBy } from './paths';
import { redactRecord, type HashText, type PrivacyRules } from './redact';

/** A page as staged under a privacy rule: the redacted records and what the schema said before redaction. */
export interface RedactedPage {
  records: unknown[];
  /** Every path the rules act on: the schema's say there is taken from the records as served. */
  paths: string[];
  /** By record index: the schema's issues at those paths, checked on the record as served (paths and messages only). */
  issues: Record<number, RecordIssue[]>;
}

/**
 * Redacts a page before it is staged. A record's schema describes the API's record, so the fields the rules
 * touch are checked here, on the record as served (a hashed id declared `integer` is an integer there); the
 * sink checks the rest on the stored form and leaves these paths to this verdict (sinks/staged-page.ts).
 */
export function redactPage(records: unknown[], rules: PrivacyRules, hashText: HashText, check?: RecordCheck): RedactedPage {
  const paths = [...rules.drop, ...rules.hash];
  const issues: Record<number, RecordIssue[]> = {};
  const redacted = records.map((record, index) => {
    const found = (check?.(record) ?? []).filter((issue) => isCoveredBy(issue.path, paths));
    if (found.length > 0) issues[index] = found;
    return redactRecord(record, rules, hashText);
  });
  return { records: redacted, paths, issues };
}
