import { createHash } from 'node:crypto';
import { describeIssues, type RecordCheck, type RecordIssue } from '../schemas/record-check';

/** Turns a staged page into rows keyed on the primary key; records that cannot be keyed, or fail their schema, are set aside. */

export interface KeyedRow {
  key: string;
  keyValues: string[];
  recordJson: string;
  hash: string;
}

export interface RejectedRecord {
  index: number;
  recordJson: string;
  reason: string;
  issues: RecordIssue[];
  /** The upsert key, when the record has one: a later run that admits the record marks this entry re-admitted. */
  key: string | null;
}

/** JSON with object keys sorted, so equal records hash equally whatever order the API sent fields in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function keyPage(records: unknown[], primaryKey: string[], check?: RecordCheck): { rows: KeyedRow[]; rejected: RejectedRecord[] } {
  const byKey = new Map<string, KeyedRow>();
  const rejected: RejectedRecord[] = [];
  records.forEach((record, index) => {
    const reject = (issues: RecordIssue[], key: string | null): void => {
      rejected.push({ index, recordJson: JSON.stringify(record) ?? 'null', reason: describeIssues(issues), issues, key });
    };
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      reject([{ path: '(record)', message: 'record is not a JSON object' }], null);
      return;
    }
    const values = primaryKey.map((field) => (Object.hasOwn(record, field) ? (record as Record<string, unknown>)[field] : undefined));
    const missing = primaryKey.filter((_, i) => values[i] === undefined || values[i] === null || values[i] === '');
    const keyValues = values.map((v) => (typeof v === 'string' ? v : canonicalJson(v)));
    const key = missing.length === 0 ? JSON.stringify(keyValues) : null;
    const issues = missing.map((field) => ({ path: field, message: 'primary key field missing or null' }));
    for (const issue of check?.(record) ?? []) if (!missing.includes(issue.path)) issues.push(issue);
    if (key === null || issues.length > 0) {
      reject(issues, key);
      return;
    }
    const recordJson = canonicalJson(record);
    // A page may repeat a key (offset drift); the last copy is the newest the API served.
    byKey.set(key, { key, keyValues, recordJson, hash: sha256(recordJson) });
  });
  return { rows: [...byKey.values()], rejected };
}
