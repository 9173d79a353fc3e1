/**
 * The column types of a resource's typed view, inferred from its records' top-level fields. Pure: the sink
 * feeds it records (a page) or type counts (a whole table) and turns the result into SQL (typed-view.ts).
 */
export type ColumnKind = 'bigint' | 'decimal' | 'double' | 'boolean' | 'text' | 'json';

/** Field name → its column kind. Fields only ever null are left out: there is nothing to type them by. */
export type ViewShape = Record<string, ColumnKind>;

/**
 * Integers up to 15 digits become BIGINT; longer ones (ids beyond 2^53 are read as bigint) become DECIMAL /
 * NUMERIC, which keeps every digit where BIGINT would overflow or DOUBLE round — as the whole-table inference
 * in typed-view.ts types them, so a page and the table agree.
 */
const WHOLE_LIMIT = 1e15;

export function kindOf(value: unknown): ColumnKind | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'bigint') return 'decimal';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return 'double';
    return Math.abs(value) < WHOLE_LIMIT ? 'bigint' : 'decimal';
  }
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'text';
  return 'json';
}

const NUMERIC_KINDS: ColumnKind[] = ['bigint', 'decimal', 'double'];

/** Two kinds one column must hold: the wider number (BIGINT < DECIMAL < DOUBLE); any other mix is text. */
export function mergeKinds(a: ColumnKind, b: ColumnKind): ColumnKind {
  if (a === b) return a;
  const [x, y] = [NUMERIC_KINDS.indexOf(a), NUMERIC_KINDS.indexOf(b)];
  if (x >= 0 && y >= 0) return NUMERIC_KINDS[Math.max(x, y)] as ColumnKind;
  return 'text';
}

export function mergeShapes(a: ViewShape, b: ViewShape): ViewShape {
  const merged: ViewShape = { ...a };
  for (const [field, kind] of Object.entries(b)) {
    const known = merged[field];
    merged[field] = known === undefined ? kind : mergeKinds(known, kind);
  }
  return sortedShape(merged);
}

export function shapeOfRecords(records: unknown[]): ViewShape {
  let shape: ViewShape = {};
  for (const record of records) {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) continue;
    const own: ViewShape = {};
    for (const [field, value] of Object.entries(record)) {
      const kind = kindOf(value);
      if (kind !== undefined) own[field] = kind;
    }
    shape = mergeShapes(shape, own);
  }
  return shape;
}

export function sameShape(a: ViewShape, b: ViewShape): boolean {
  return JSON.stringify(sortedShape(a)) === JSON.stringify(sortedShape(b));
}

function sortedShape(shape: ViewShape): ViewShape {
  return Object.fromEntries(Object.entries(shape).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

/** Columns of every typed view, after the record's fields; a field of the same name is renamed, never dropped. */
export const SYSTEM_COLUMNS = ['_key', '_first_run', '_last_run', '_deleted_at'] as const;

/** PostgreSQL cuts identifiers at 63 bytes; names are cut here first so two long fields cannot collide there. */
const MAX_NAME_BYTES = 63;

export interface ViewColumn {
  field: string;
  column: string;
  kind: ColumnKind;
}

/**
 * Each field's column name: the field's own name where it is free; a name taken by a system column or by
 * another field (DuckDB compares names without case) gets `_2`, `_3`… (a field `_key` becomes `_key_2`).
 * Lower-case names are served first, so `name` keeps its name when a record also has `Name`.
 */
export function viewColumns(shape: ViewShape): ViewColumn[] {
  const taken = new Set<string>(SYSTEM_COLUMNS.map((c) => c.toLowerCase()));
  const fields = Object.keys(sortedShape(shape));
  const byPriority = [...fields.filter((f) => f === f.toLowerCase()), ...fields.filter((f) => f !== f.toLowerCase())];
  const names = new Map<string, string>();
  for (const field of byPriority) {
    const base = cut(field, MAX_NAME_BYTES) || 'unnamed';
    let column = base;
    for (let n = 2; taken.has(column.toLowerCase()); n += 1) column = `${cut(base, MAX_NAME_BYTES - String(n).length - 1)}_${n}`;
    taken.add(column.toLowerCase());
    names.set(field, column);
  }
  return fields.map((field) => ({ field, column: names.get(field) as string, kind: shape[field] as ColumnKind }));
}

function cut(name: string, maxBytes: number): string {
  let out = '';
  for (const char of name) {
    if (Buffer.byteLength(out + char) > maxBytes) break;
    out += char;
  }
  return out;
}
