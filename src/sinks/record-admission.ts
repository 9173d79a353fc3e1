import { MAX_RECORD_DEPTH, nestsDeeperThan } from '../pagination/record-json';
import type { RecordIssue } from '../schemas/record-check';

/**
 * What makes a record unstorable whatever its schema says: nesting deeper than MAX_RECORD_DEPTH (every later
 * walk over a record — hashing, fingerprints, schema checks — recurses, so only admitted records reach them),
 * and text no JSON store can hold: a lone UTF-16 surrogate anywhere, and on PostgreSQL (JSONB) U+0000, in a
 * value or a field name.
 * Checked once, when the page is keyed; the record is quarantined with the reason, the page's others land.
 */

/** A UTF-16 surrogate without its pair: not Unicode, so PostgreSQL cannot store it and DuckDB's JSON functions cannot read it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** U+0000: PostgreSQL's JSONB refuses it; DuckDB keeps it. */
const NUL = /\u0000/;

function escaped(char: string): string {
  return `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;
}

function refusal(text: string, jsonb: boolean): string | undefined {
  const lone = LONE_SURROGATE.exec(text)?.[0];
  if (lone !== undefined) return `contains a lone surrogate (${escaped(lone)}), which PostgreSQL cannot store and DuckDB cannot read as JSON`;
  if (jsonb && NUL.test(text)) return 'contains U+0000 (\\u0000), which PostgreSQL cannot store';
  return undefined;
}

function childPath(path: string, name: string | number): string {
  if (typeof name === 'number') return `${path}[${name}]`;
  return path === '' ? name : `${path}.${name}`;
}

/** The first string (or field name) at or under `value` that PostgreSQL cannot store, as an issue. */
function textIssue(value: unknown, path: string, jsonb: boolean): RecordIssue | undefined {
  if (typeof value === 'string') {
    const why = refusal(value, jsonb);
    return why === undefined ? undefined : { path: path || '(record)', message: `string ${why}` };
  }
  if (value === null || typeof value !== 'object') return undefined;
  const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [name, field] of entries) {
    if (typeof name === 'string') {
      const why = refusal(name, jsonb);
      if (why !== undefined) return { path: path || '(record)', message: `field name ${JSON.stringify(name)} ${why}` };
    }
    const issue = textIssue(field, childPath(path, name), jsonb);
    if (issue !== undefined) return issue;
  }
  return undefined;
}

export interface AdmissionRules {
  /** The sink stores records as PostgreSQL JSONB. */
  jsonb?: boolean;
  /** False when the page's JSON text shows no such character (see mayHoldUnstorableText): strings are not walked. */
  suspectText?: boolean;
}

/** JSON text (as JSON.stringify writes it) that might hold a lone surrogate or U+0000: both are written escaped. */
export function mayHoldUnstorableText(json: string): boolean {
  return /\\u(?:d[89a-f][0-9a-f]{2}|0000)/i.test(json);
}

/** Why this record cannot be stored at all, or undefined when it can. */
export function admissionIssue(record: unknown, rules: AdmissionRules = {}): RecordIssue | undefined {
  if (nestsDeeperThan(record, MAX_RECORD_DEPTH)) {
    return { path: '(record)', message: `record nests deeper than ${MAX_RECORD_DEPTH.toLocaleString('en-US')} levels` };
  }
  return rules.suspectText === false ? undefined : textIssue(record, '', rules.jsonb === true);
}
