import { pathsOverlap } from './paths';

/**
 * What a spec may not ask of a privacy rule. Pure and free of Node built-ins (it runs in the workflow sandbox
 * with the rest of spec validation).
 */

export const DEFAULT_HASH_KEY_ENV = 'LMS_EXPORT_PRIVACY_KEY';

/** The parts of a resource these checks read (structural, so the spec module can pass its own type). */
export interface PrivacyOwner {
  name: string;
  primaryKey: readonly string[];
  privacy?: { drop: readonly string[]; hash: readonly string[] };
  incremental?: { cursorField: string };
  parent?: { resource: string; key: string; as: string };
  pagination?: { type: string; fields?: readonly string[] };
}

export interface PrivacyConflict {
  /** Below the resource, e.g. `['privacy', 'drop', 0]`. */
  path: Array<string | number>;
  message: string;
}

/**
 * Fields the exporter reads back from stored rows, so it needs them as served: the key (upserts, update and
 * deletion scans), the high-water mark, keyset restarts, the parent key a child carries and the one children
 * of this resource read.
 */
function fieldsReadBack(resources: readonly PrivacyOwner[], index: number): Array<{ field: string; why: string }> {
  const resource = resources[index] as PrivacyOwner;
  const fields = resource.primaryKey.map((field) => ({ field, why: 'is in primaryKey: rows are upserted, update-scanned and checked for deletion by it, so it is stored as served' }));
  if (resource.incremental !== undefined) fields.push({ field: resource.incremental.cursorField, why: 'is incremental.cursorField: the high-water mark is read from the stored rows' });
  if (resource.parent !== undefined) fields.push({ field: resource.parent.as, why: 'is parent.as: each row carries its parent key there' });
  if (resource.pagination?.type === 'keyset') {
    for (const field of resource.pagination.fields ?? []) fields.push({ field, why: 'is a keyset paging field: a restart resumes from the last stored key' });
  }
  resources.forEach((child, i) => {
    if (child.parent?.resource === resource.name) fields.push({ field: child.parent.key, why: `is the parent key resources[${i}] (${child.name}) reads from this resource's stored rows` });
  });
  return fields;
}

/** Why the privacy rule of `resources[index]` cannot hold, one conflict per offending path. */
export function privacyConflicts(resources: readonly PrivacyOwner[], index: number): PrivacyConflict[] {
  const privacy = resources[index]?.privacy;
  if (privacy === undefined) return [];
  const conflicts: PrivacyConflict[] = [];
  const readBack = fieldsReadBack(resources, index);
  const listed: Array<{ list: 'drop' | 'hash'; at: number; path: string }> = [
    ...privacy.drop.map((path, at) => ({ list: 'drop' as const, at, path })),
    ...privacy.hash.map((path, at) => ({ list: 'hash' as const, at, path })),
  ];
  listed.forEach((entry, i) => {
    const where = ['privacy', entry.list, entry.at];
    const kept = readBack.find((r) => pathsOverlap(entry.path, r.field));
    if (kept !== undefined) {
      conflicts.push({ path: where, message: `${entry.path}: ${kept.field === entry.path ? 'it' : kept.field} ${kept.why}; it cannot be dropped or hashed` });
      return;
    }
    const earlier = listed.slice(0, i).find((other) => pathsOverlap(entry.path, other.path));
    if (earlier !== undefined) {
      const same = earlier.path === entry.path;
      conflicts.push({ path: where, message: `${entry.path}: ${same ? 'is' : 'overlaps'} privacy.${earlier.list}[${earlier.at}] (${earlier.path}); give each field one rule` });
    }
  });
  return conflicts;
}
