import { createHash } from 'node:crypto';

/** Turns a staged page into rows keyed on the primary key; records that cannot be keyed are set aside. */

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

export function keyPage(records: unknown[], primaryKey: string[]): { rows: KeyedRow[]; rejected: RejectedRecord[] } {
  const byKey = new Map<string, KeyedRow>();
  const rejected: RejectedRecord[] = [];
  records.forEach((record, index) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      rejected.push({ index, recordJson: JSON.stringify(record) ?? 'null', reason: 'record is not a JSON object' });
      return;
    }
    const values = primaryKey.map((field) => (record as Record<string, unknown>)[field]);
    const missing = primaryKey.filter((_, i) => values[i] === undefined || values[i] === null || values[i] === '');
    if (missing.length > 0) {
      rejected.push({ index, recordJson: JSON.stringify(record), reason: `primary key field(s) ${missing.join(', ')} missing or null` });
      return;
    }
    const recordJson = canonicalJson(record);
    const keyValues = values.map((v) => (typeof v === 'string' ? v : canonicalJson(v)));
    const key = JSON.stringify(keyValues);
    // A page may repeat a key (offset drift); the last copy is the newest the API served.
    byKey.set(key, { key, keyValues, recordJson, hash: sha256(recordJson) });
  });
  return { rows: [...byKey.values()], rejected };
}
