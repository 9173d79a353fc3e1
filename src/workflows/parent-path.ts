/**
 * Fills a child resource's path for one parent: `{as}` takes the parent key, any other `{name}` the parent
 * record's field `name`, each escaped as one path segment. Pure and deterministic (workflow code).
 *
 * A value of `.`, `..` or nothing stays one segment after escaping, yet URL parsing resolves it away
 * (`/courses/../enrollments` is `/enrollments`, and so is `%2e%2e`), so the request would read another
 * collection of the origin and store it as this parent's. Such a value is refused, naming the field.
 */
export interface FilledPath {
  /** The path with every placeholder replaced (as before refusals existed, for runs that began without them). */
  path: string;
  /** Why this parent cannot be traversed, when one of its values would leave its own path. */
  refused?: string;
}

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** The path's placeholders, in order. */
export function placeholdersOf(path: string): string[] {
  return [...path.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

export function fillParentPath(path: string, values: Record<string, string>): FilledPath {
  // Own fields only: a placeholder `{constructor}` is a field the parent lacks, not Object.prototype's.
  const valueOf = (name: string): string => (Object.hasOwn(values, name) ? (values[name] ?? '') : '');
  const filled = path.replace(PLACEHOLDER, (_, name: string) => encodeURIComponent(valueOf(name)));
  for (const name of placeholdersOf(path)) {
    const value = valueOf(name);
    if (value === '' || value === '.' || value === '..') {
      const shown = value === '' ? 'empty' : `"${value}"`;
      return {
        path: filled,
        refused: `parent field ${name} is ${shown}, which cannot fill {${name}} in ${path}: the request would leave the parent's own path; fix or remove that parent record`,
      };
    }
  }
  return { path: filled };
}
