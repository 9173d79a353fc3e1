import type { ExportSpecInput } from '../spec/export-spec';
import type { RunReport } from '../workflows/report';

/**
 * The spec for re-running only the parent keys that failed in an earlier run: each fanned-out resource that had
 * failures keeps just those keys and reads them from the sink (the parents were stored by that run); every
 * other resource is left out. Throws when there is nothing to retry.
 */
export function retryFailedSpec(raw: ExportSpecInput, previous: RunReport): ExportSpecInput {
  const failed = new Map(previous.resources.filter((r) => (r.parents?.failed.length ?? 0) > 0).map((r) => [r.resource, r.parents?.failed.map((f) => f.key) ?? []]));
  const resources = raw.resources
    .filter((r) => r.parent !== undefined && failed.has(r.name))
    .map((r) => ({ ...r, parent: { ...r.parent!, from: 'sink' as const, keys: failed.get(r.name) } }));
  if (resources.length === 0) throw new Error(`run ${previous.workflowId} has no failed parent keys to retry`);
  return { ...raw, resources };
}
