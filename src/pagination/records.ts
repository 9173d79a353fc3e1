import { readJsonPath } from './json-path';
import { PageFormatError } from './types';

/** The records array at `path` in a body (`""` = the body itself), or a PageFormatError naming the path. */
export function recordsAt(body: unknown, path: string, url: string): unknown[] {
  const records = readJsonPath(body, path);
  if (!Array.isArray(records)) {
    throw new PageFormatError(`expected an array at "${path || '(body)'}" in the response from ${url}`);
  }
  return records;
}

/** A whole-number query parameter of a URL we built, or the fallback. */
export function intParam(url: string, name: string, fallback: number): number {
  const value = new URL(url).searchParams.get(name);
  const parsed = value === null ? NaN : Number(value);
  return Number.isInteger(parsed) ? parsed : fallback;
}
