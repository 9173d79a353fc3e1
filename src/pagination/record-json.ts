import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';

/**
 * JSON as records travel through lms-export: integers beyond JavaScript's safe range (ids above 2^53, which
 * `JSON.parse` would round, merging distinct records into one) are read as `bigint` and written back with all
 * their digits. Every parse and stringify of a record — the page body, staging, hashes, cursors, readers —
 * goes through here. Pure, so every layer may import it.
 *
 * Cost: a body without a run of 16 digits cannot hold such an integer and takes `JSON.parse` as is (the
 * common case, one regex scan); only the rest go through lossless-json, about 3× slower. Other numbers
 * (fractions, exponents) read as `JSON.parse` reads them.
 */

/** How deep a record may nest (the record itself is level 1). Deeper records are quarantined, never walked. */
export const MAX_RECORD_DEPTH = 1_000;

/** The body nests too deep for the lossless parser (which recurses) while it may hold big integers. */
export class JsonNestingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonNestingError';
  }
}

const MAY_HOLD_BIG_INTEGER = /[0-9]{16}/;
const INTEGER = /^-?[0-9]+$/;

function numberOf(text: string): number | bigint {
  const value = Number(text);
  return Number.isSafeInteger(value) || !INTEGER.test(text) ? value : BigInt(text);
}

/** Parses JSON keeping every integer's digits; throws SyntaxError on bad JSON, JsonNestingError when it cannot. */
export function parseJson(text: string): unknown {
  if (!MAY_HOLD_BIG_INTEGER.test(text)) return JSON.parse(text);
  try {
    return parseLossless(text, null, numberOf);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new JsonNestingError(`the JSON nests too deep to read with its integers beyond 2^53 intact (${text.length} characters)`);
    }
    // lossless-json reports bad JSON with its own Error type: the same failure as JSON.parse's.
    if (error instanceof SyntaxError) throw error;
    throw new SyntaxError((error as Error).message);
  }
}

/** JSON text of a value parsed by parseJson: big integers keep their digits. `space` indents, as JSON.stringify's. */
export function stringifyJson(value: unknown, space?: number): string {
  try {
    return JSON.stringify(value, null, space) ?? 'null';
  } catch (error) {
    // JSON.stringify refuses bigint; only values holding one take the slower path.
    if (!(error instanceof TypeError) || !/BigInt/i.test(error.message)) throw error;
    return stringifyLossless(value, undefined, space) ?? 'null';
  }
}

/** Does `value` nest deeper than `limit` levels? Walks no deeper than limit + 1. */
export function nestsDeeperThan(value: unknown, limit: number, depth = 1): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > limit) return true;
  for (const field of Array.isArray(value) ? value : Object.values(value)) if (nestsDeeperThan(field, limit, depth + 1)) return true;
  return false;
}

/**
 * `value` with everything below `levels` levels replaced by null: a record nested 100,000 deep can then be
 * staged and quarantined (JSON.stringify recurses) while still showing that it nests deeper than the limit.
 */
export function cutBelow(value: unknown, levels: number, depth = 1): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > levels) return null;
  if (Array.isArray(value)) return value.map((v) => cutBelow(v, levels, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cutBelow(v, levels, depth + 1)]));
}

/** Records ready to stage: those nesting deeper than MAX_RECORD_DEPTH + 1 are cut there (keyPage quarantines them). */
export function stageableRecords(records: unknown[]): unknown[] {
  return records.map((record) => (nestsDeeperThan(record, MAX_RECORD_DEPTH + 1) ? cutBelow(record, MAX_RECORD_DEPTH + 1) : record));
}
