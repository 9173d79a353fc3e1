import { parseJson, stringifyJson } from '../pagination/record-json';
import { isCoveredBy } from '../privacy/paths';
import type { RecordCheck, RecordIssue } from '../schemas/record-check';

/**
 * What a staged page holds: the records as fetched (a JSON array), or, for a resource with a privacy rule, the
 * redacted records with the schema's verdict at the redacted paths, taken before redaction (the raw values
 * never reach staging, so the sink could not check them itself).
 */
export interface StagedRecords {
  records: unknown[];
  redaction?: { paths: string[]; issues: Record<number, RecordIssue[]> };
}

/** A record's issues, by its position in the page. */
export type PageCheck = (record: unknown, index: number) => RecordIssue[];

export function stagedRecordsJson(staged: StagedRecords): string {
  return stringifyJson(staged.redaction === undefined ? staged.records : { records: staged.records, redaction: staged.redaction });
}

export function readStagedRecords(json: string): StagedRecords {
  const staged = parseJson(json);
  return Array.isArray(staged) ? { records: staged } : (staged as StagedRecords);
}

/**
 * The check of a staged page: the schema on the stored form, except at redacted paths (a hash is no integer,
 * a dropped field is missing), where the verdict taken on the record as served stands instead.
 */
export function pageCheck(check: RecordCheck | undefined, staged: StagedRecords): PageCheck | undefined {
  const redaction = staged.redaction;
  if (check === undefined || redaction === undefined) return check;
  return (record, index) => [
    ...check(record).filter((issue) => !isCoveredBy(issue.path, redaction.paths)),
    ...(redaction.issues[index] ?? []),
  ];
}
