import { IncrementalState, type ResetOutcome, type ResourceState } from '../sinks/incremental-state';
import type { ExportSpec, ResourceConfig } from '../spec/export-spec';

/** The spec's resources a command acts on: all of them, or the one `--resource` names. */
export function resourcesNamed(spec: ExportSpec, name: string | undefined): ResourceConfig[] {
  const resources = spec.resources.filter((r) => name === undefined || r.name === name);
  if (resources.length === 0) throw new Error(`--resource: "${name}" is not in spec ${spec.name} (its resources: ${spec.resources.map((r) => r.name).join(', ')})`);
  return resources;
}

/** `lms-export state`: each resource's high-water mark, last complete run and last deletion scan, from the sink. */
export async function readStates(spec: ExportSpec, resourceName?: string): Promise<ResourceState[]> {
  const resources = resourcesNamed(spec, resourceName);
  const state = await IncrementalState.open(spec.sink);
  try {
    const states: ResourceState[] = [];
    // A spec with full: true traverses everything whatever the sink holds.
    for (const r of resources) {
      const s = await state.read(r);
      states.push({ ...s, nextRunIncremental: s.nextRunIncremental && !spec.full });
    }
    return states;
  } finally {
    await state.close();
  }
}

/** `lms-export state reset`: the resource's next run is a full traversal; `_lms_actions` records who reset it. */
export async function resetState(spec: ExportSpec, resourceName: string, actedBy: string): Promise<ResetOutcome> {
  const [resource] = resourcesNamed(spec, resourceName);
  const state = await IncrementalState.open(spec.sink);
  try {
    return await state.reset(resource as ResourceConfig, actedBy);
  } finally {
    await state.close();
  }
}
