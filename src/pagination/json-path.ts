/** Reads a dotted path (`meta.next_cursor`) from a parsed JSON body; the empty path is the body itself. */
export function readJsonPath(body: unknown, path: string): unknown {
  if (path === '') return body;
  let value: unknown = body;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
