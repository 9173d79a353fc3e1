/**
 * Reads a dotted path (`meta.next_cursor`) from a parsed JSON body; the empty path is the body itself. Only a
 * value's own fields count: `constructor` or `toString` missing from a record is missing, not a function
 * inherited from `Object.prototype`.
 */
export function readJsonPath(body: unknown, path: string): unknown {
  if (path === '') return body;
  let value: unknown = body;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
