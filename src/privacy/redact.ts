import { canonicalJson } from '../sinks/page-rows';
import { segmentsOf } from './paths';

/** What a resource keeps out of the sink: fields dropped outright, and fields stored only as keyed hashes. */
export interface PrivacyRules {
  drop: readonly string[];
  hash: readonly string[];
}

/** Turns a value's text into its stored hash (hmac.ts); same text, same hash. */
export type HashText = (text: string) => string;

/**
 * The stored form of a hashed value. Strings, numbers and booleans are hashed by their text, so the id 12345
 * and the string "12345" hash alike (one API's number joins another's string); an object by its canonical
 * JSON; an array element by element; null stays null (that a field is empty is not the secret).
 */
export function hashedValue(value: unknown, hashText: HashText): unknown {
  if (value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((element) => hashedValue(element, hashText));
  if (typeof value === 'object') return hashText(canonicalJson(value));
  return hashText(String(value));
}

type FieldAction = (value: unknown) => { keep: false } | { keep: true; value: unknown };

/** Own field set as data, so a record's own `__proto__` field stays a field instead of becoming a prototype. */
function setField(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

/** `value` with `action` applied at the path's end; objects on the way are copied, never changed in place. */
function applyAt(value: unknown, segments: readonly string[], action: FieldAction): unknown {
  if (Array.isArray(value)) return value.map((element) => applyAt(element, segments, action));
  const [head, ...rest] = segments;
  if (head === undefined || value === null || typeof value !== 'object' || !Object.hasOwn(value, head)) return value;
  const record = value as Record<string, unknown>;
  const copy = { ...record };
  if (rest.length > 0) {
    setField(copy, head, applyAt(record[head], rest, action));
    return copy;
  }
  const outcome = action(record[head]);
  if (outcome.keep) setField(copy, head, outcome.value);
  else delete copy[head];
  return copy;
}

/** A record as the sink may store it: dropped fields gone, hashed fields replaced by their hashes. */
export function redactRecord(record: unknown, rules: PrivacyRules, hashText: HashText): unknown {
  let redacted = record;
  for (const path of rules.drop) redacted = applyAt(redacted, segmentsOf(path), () => ({ keep: false }));
  for (const path of rules.hash) redacted = applyAt(redacted, segmentsOf(path), (value) => ({ keep: true, value: hashedValue(value, hashText) }));
  return redacted;
}
