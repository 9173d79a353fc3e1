import { seededRandom, type CollectionName, type Row } from './dataset';

/**
 * Malformed records, as buggy integrations and hand-edited SIS rows produce them: a required field missing, a
 * field of the wrong type, a null key. Which rows are damaged depends only on their id, so a test can ask for
 * the same set the export saw; the stored data stays intact (truth is the undamaged rows).
 */
export interface MalformedOptions {
  /** Share of records served damaged, e.g. 0.02. */
  rate: number;
  seed?: number;
}

/** The field a schema for each collection requires, damaged by the first two kinds. */
const REQUIRED_FIELD: Record<CollectionName, string> = {
  users: 'name',
  courses: 'name',
  enrollments: 'user_id',
  submissions: 'user_id',
  records: 'kind',
  assignments: 'name',
};

export type Damage = 'missing-field' | 'wrong-type' | 'null-key';
const DAMAGES: Damage[] = ['missing-field', 'wrong-type', 'null-key'];

export function isMalformed(id: number, options: MalformedOptions): boolean {
  return seededRandom(id * 2_654_435_761 + (options.seed ?? 7))() < options.rate;
}

export function damageOf(id: number): Damage {
  return DAMAGES[id % DAMAGES.length] as Damage;
}

export function malform(row: Row, collection: CollectionName): Record<string, unknown> {
  const field = REQUIRED_FIELD[collection];
  const copy: Record<string, unknown> = { ...row };
  switch (damageOf(row.id)) {
    case 'missing-field':
      delete copy[field];
      break;
    case 'wrong-type':
      copy[field] = typeof row[field] === 'number' ? `#${String(row[field])}` : 42;
      break;
    case 'null-key':
      copy['id'] = null;
      break;
  }
  return copy;
}

/** Applies `change` to each record of an answer's body: a bare array, or the arrays of an envelope. */
export function mapRecords(body: unknown, change: (record: Record<string, unknown>) => Record<string, unknown>): unknown {
  const each = (records: unknown[]): unknown[] => records.map((r) => (r !== null && typeof r === 'object' && !Array.isArray(r) ? change(r as Record<string, unknown>) : r));
  if (Array.isArray(body)) return each(body);
  if (body === null || typeof body !== 'object') return body;
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Array.isArray(v) ? each(v) : v]));
}

/** The answer's body with its damaged records replaced. */
export function malformBody(body: unknown, collection: CollectionName, options: MalformedOptions): unknown {
  return mapRecords(body, (record) => {
    const row = record as Row;
    return typeof row.id === 'number' && isMalformed(row.id, options) ? malform(row, collection) : record;
  });
}
