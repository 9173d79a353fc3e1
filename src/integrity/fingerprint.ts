/**
 * A page's shape: each field path and the JSON types its values had. Field names and types only — never a
 * value — so a fingerprint may travel in reports and workflow history. Nested objects are described one level
 * down (`schoolReference.schoolId`), deep enough for the references LMS APIs nest, small enough to store per page.
 * The walk stops at NESTED_DEPTH, so it never recurses into a deeply nested record.
 */
export type JsonType = 'null' | 'string' | 'number' | 'boolean' | 'object' | 'array';

/** Field path → the types seen, sorted. */
export type Fingerprint = Record<string, JsonType[]>;

export interface DriftFinding {
  kind: 'new-field' | 'vanished-field' | 'type-change';
  field: string;
  /** The page it was seen on; null when found against the last run's shape. */
  page: number | null;
  /** Where it shows and how, e.g. `record 3: number, was string` (types, never values). */
  example: string;
}

export function jsonType(value: unknown): JsonType {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  const type = typeof value;
  // An integer beyond 2^53 is read as a bigint (pagination/record-json.ts): in JSON it is a number.
  if (type === 'bigint') return 'number';
  return type === 'string' || type === 'number' || type === 'boolean' ? type : 'object';
}

const NESTED_DEPTH = 2;

function visit(value: Record<string, unknown>, prefix: string, depth: number, add: (path: string, type: JsonType) => void): void {
  for (const [name, field] of Object.entries(value)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const type = jsonType(field);
    add(path, type);
    if (type === 'object' && depth < NESTED_DEPTH) visit(field as Record<string, unknown>, path, depth + 1, add);
  }
}

/** The page's fingerprint, and for each field and type the first record (0-based) that showed it. */
export function fingerprintOf(records: unknown[]): { fingerprint: Fingerprint; firstSeen: Map<string, number> } {
  const types = new Map<string, Set<JsonType>>();
  const firstSeen = new Map<string, number>();
  records.forEach((record, index) => {
    if (jsonType(record) !== 'object') return;
    visit(record as Record<string, unknown>, '', 1, (path, type) => {
      const seen = types.get(path) ?? new Set<JsonType>();
      types.set(path, seen.add(type));
      if (!firstSeen.has(`${path}:${type}`)) firstSeen.set(`${path}:${type}`, index);
    });
  });
  return { fingerprint: normalised(types), firstSeen };
}

function normalised(types: Map<string, Set<JsonType>>): Fingerprint {
  // fromEntries defines own fields, so a record field named `__proto__` is described, not made the prototype.
  return Object.fromEntries([...types.keys()].sort().map((path) => [path, [...(types.get(path) ?? [])].sort()]));
}

/** The types a fingerprint holds for a field; a field named `constructor` is not `Object.prototype.constructor`. */
function typesOf(fingerprint: Fingerprint, field: string): JsonType[] | undefined {
  return Object.hasOwn(fingerprint, field) ? fingerprint[field] : undefined;
}

export function mergeFingerprints(a: Fingerprint, b: Fingerprint): Fingerprint {
  const types = new Map<string, Set<JsonType>>();
  for (const fp of [a, b]) for (const [path, seen] of Object.entries(fp)) types.set(path, new Set([...(types.get(path) ?? []), ...seen]));
  return normalised(types);
}

const valueTypes = (types: JsonType[] | undefined): JsonType[] => (types ?? []).filter((t) => t !== 'null');

/**
 * How a page's shape departs from the shape seen so far: a field never seen before, or a field with a value
 * type it never had (null does not count: optional fields come and go as null). A field missing from one page
 * is not drift — sparse fields are normal — so vanished fields are judged only run against run.
 */
export function pageDrift(known: Fingerprint, page: Fingerprint, pageNumber: number, firstSeen: Map<string, number>): DriftFinding[] {
  const findings: DriftFinding[] = [];
  for (const [field, types] of Object.entries(page)) {
    const before = typesOf(known, field);
    if (before === undefined) {
      const type = types[0] as JsonType;
      findings.push({ kind: 'new-field', field, page: pageNumber, example: `record ${(firstSeen.get(`${field}:${type}`) ?? 0) + 1}: ${types.join('|')}` });
      continue;
    }
    const added = valueTypes(types).filter((t) => !before.includes(t));
    const was = valueTypes(before);
    if (added.length > 0 && was.length > 0) {
      const type = added[0] as JsonType;
      findings.push({ kind: 'type-change', field, page: pageNumber, example: `record ${(firstSeen.get(`${field}:${type}`) ?? 0) + 1}: ${added.join('|')}, was ${was.join('|')}` });
    }
  }
  return findings;
}

/** How this run's whole shape departs from the last run's: new, vanished and retyped fields. */
export function runDrift(last: Fingerprint, current: Fingerprint): DriftFinding[] {
  const findings: DriftFinding[] = [];
  for (const [field, types] of Object.entries(current)) {
    const before = typesOf(last, field);
    if (before === undefined) findings.push({ kind: 'new-field', field, page: null, example: `${types.join('|')}, not in the last run` });
    else {
      const added = valueTypes(types).filter((t) => !before.includes(t));
      if (added.length > 0 && valueTypes(before).length > 0) findings.push({ kind: 'type-change', field, page: null, example: `${added.join('|')}, was ${valueTypes(before).join('|')} in the last run` });
    }
  }
  for (const field of Object.keys(last)) {
    if (typesOf(current, field) === undefined) findings.push({ kind: 'vanished-field', field, page: null, example: `${typesOf(last, field)?.join('|')} in the last run, absent now` });
  }
  return findings;
}
