import type { z } from 'zod';
import { exportSpecSchema, type ExportSpec } from './export-spec';

export interface SpecIssue {
  /** Where in the spec, e.g. `resources[0].primaryKey`. */
  path: string;
  message: string;
}

/** A spec that can never run. Its message names every offending field, one per line. */
export class SpecError extends Error {
  constructor(readonly issues: SpecIssue[]) {
    super(`invalid export spec:\n${issues.map((i) => `  ${i.path || '(spec)'}: ${i.message}`).join('\n')}`);
    this.name = 'SpecError';
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    return out === '' ? String(part) : `${out}.${String(part)}`;
  }, '');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const got = valueAt(input, issue.path);
  if (issue.code === 'invalid_type' && got === undefined) return 'required';
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  const expected = /Expected (.+)$/.exec(issue.message)?.[1];
  if (issue.code === 'invalid_union' && expected !== undefined) {
    return `expected one of ${expected.replace(/'/g, '').replace(/ \| /g, ', ')}; got ${JSON.stringify(got)}`;
  }
  if (issue.code === 'invalid_value' || issue.code === 'invalid_type') return `${issue.message}; got ${JSON.stringify(got)}`;
  return issue.message;
}

/** Validates plain JSON against the ExportSpec schema and fills defaults; throws SpecError naming each field. */
export function parseExportSpec(input: unknown): ExportSpec {
  const result = exportSpecSchema.safeParse(input);
  if (result.success) return result.data;
  throw new SpecError(result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: describeIssue(issue, input) })));
}
