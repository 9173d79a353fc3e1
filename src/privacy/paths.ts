/**
 * Field paths of a privacy rule: dotted names into a record (`birth_date`, `user.email`). A segment that meets
 * an array applies to every element of it, so `emails.address` reaches the address of each entry of `emails`.
 * Pure and free of Node built-ins: the spec checks that use it run inside the workflow sandbox.
 */

export function segmentsOf(path: string): string[] {
  return path.split('.');
}

/** `a` is `b` or lies under it, segment by segment (`user.email` lies under `user`, not under `use`). */
export function liesUnder(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`);
}

/** One path is the other or lies under it: acting on one changes what the other reaches. */
export function pathsOverlap(a: string, b: string): boolean {
  return liesUnder(a, b) || liesUnder(b, a);
}

const ARRAY_INDEX = /^\d+$/;

/**
 * Whether a schema issue's path (`emails.0.address`, as zod reports it, array indexes included) is about a
 * field one of these rule paths reaches.
 */
export function isCoveredBy(issuePath: string, rulePaths: readonly string[]): boolean {
  const withoutIndexes = segmentsOf(issuePath).filter((s) => !ARRAY_INDEX.test(s)).join('.');
  return rulePaths.some((rule) => liesUnder(issuePath, rule) || liesUnder(withoutIndexes, rule));
}
