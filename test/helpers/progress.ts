import type { WorkflowHandle } from '@temporalio/client';
import { progressQuery, type ResourceProgress } from '../../src/workflows/definitions';

/** A traversal's answer to the progress query, or undefined while it cannot answer (not started yet, continuing as new). */
export function progressOf(traversal: WorkflowHandle): Promise<ResourceProgress | undefined> {
  return traversal.query(progressQuery).catch(() => undefined);
}
