import { createHash } from 'node:crypto';
import { jsonType, type JsonType } from '../integrity/fingerprint';
import { stringifyJson } from '../pagination/record-json';
import { describeIssues, type RecordIssue } from '../schemas/record-check';
import { admissionIssue, type AdmissionRules } from './record-admission';
import type { PageCheck } from './staged-page';

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

/** Per key field, the JSON type a resource's keys have: the type of the first key stored. */
export type KeyTypes = Record<string, JsonType>;

export interface KeyingOptions extends AdmissionRules {
  /** The key types the resource's table already holds; a key of another type is set aside, never merged. */
  keyTypes?: KeyTypes;
}

/** JSON with object keys sorted, so equal records hash equally whatever order the API sent fields in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'bigint') return value.toString();
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const TYPE_NAMES: Record<JsonType, string> = { string: 'strings', number: 'numbers', boolean: 'booleans', object: 'objects', array: 'arrays', null: 'nulls' };

function article(type: JsonType): string {
  return type === 'object' || type === 'array' ? 'an' : 'a';
}

/** `id: a string ("1") where this resource's keys are numbers`: the key's value is shown, it is what an operator looks up. */
function keyTypeIssue(field: string, value: unknown, type: JsonType, known: JsonType): RecordIssue {
  const shown = canonicalJson(value);
  return {
    path: field,
    message: `${article(type)} ${type} (${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown}) where this resource's keys are ${TYPE_NAMES[known]}; keys keep their JSON type`,
  };
}

/**
 * Keys each record of a page. Key values are stored as text (`1` and `"1"` both read `1`), so a key keeps the
 * JSON type the resource's first key had (options.keyTypes, learned here when the table has none yet): a record
 * whose key has another type is quarantined instead of overwriting the row of a different record.
 */
export function keyPage(
  records: unknown[],
  primaryKey: string[],
  check?: PageCheck,
  options: KeyingOptions = {},
): { rows: KeyedRow[]; rejected: RejectedRecord[]; keyTypes: KeyTypes } {
  const byKey = new Map<string, KeyedRow>();
  const rejected: RejectedRecord[] = [];
  const keyTypes: KeyTypes = { ...options.keyTypes };
  records.forEach((record, index) => {
    const reject = (issues: RecordIssue[], key: string | null): void => {
      rejected.push({ index, recordJson: stringifyJson(record), reason: describeIssues(issues), issues, key });
    };
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      reject([{ path: '(record)', message: 'record is not a JSON object' }], null);
      return;
    }
    const unstorable = admissionIssue(record, options);
    if (unstorable !== undefined) {
      reject([unstorable], null);
      return;
    }
    const values = primaryKey.map((field) => (Object.hasOwn(record, field) ? (record as Record<string, unknown>)[field] : undefined));
    const missing = primaryKey.filter((_, i) => values[i] === undefined || values[i] === null || values[i] === '');
    const keyValues = values.map((v) => (typeof v === 'string' ? v : canonicalJson(v)));
    const key = missing.length === 0 ? JSON.stringify(keyValues) : null;
    const issues = missing.map((field) => ({ path: field, message: 'primary key field missing or null' }));
    const types = values.map(jsonType);
    let retyped = false;
    primaryKey.forEach((field, i) => {
      const known = Object.hasOwn(keyTypes, field) ? keyTypes[field] : undefined;
      const type = types[i] as JsonType;
      if (known === undefined || type === 'null' || type === known) return;
      issues.push(keyTypeIssue(field, values[i], type, known));
      retyped = true;
    });
    for (const issue of check?.(record, index) ?? []) if (!missing.includes(issue.path)) issues.push(issue);
    if (key === null || issues.length > 0) {
      // A retyped key names another record's row: re-admitting by it would mark the wrong record.
      reject(issues, retyped ? null : key);
      return;
    }
    primaryKey.forEach((field, i) => {
      if (!Object.hasOwn(keyTypes, field)) keyTypes[field] = types[i] as JsonType;
    });
    const recordJson = canonicalJson(record);
    // A page may repeat a key (offset drift); the last copy is the newest the API served.
    byKey.set(key, { key, keyValues, recordJson, hash: sha256(recordJson) });
  });
  return { rows: [...byKey.values()], rejected, keyTypes };
}
