import { exportResource, type ExportResourceInput } from './export-resource';
import type { ResourceReport } from './report';

/**
 * The update scan: after the traversal, page through the rows changed since the run started (minus an overlap),
 * which `exportRun` expresses as the resource's change filter in its query, and upsert them — so rows changed
 * behind the cursor during a long traversal are current when the run ends. It is a traversal like the main one
 * (durable cursor, continue-as-new, pause), named `<resource>~updates` in the audit trail.
 */
export async function updateScan(input: ExportResourceInput): Promise<ResourceReport> {
  return exportResource({ ...input, label: input.label ?? 'updates' });
}
