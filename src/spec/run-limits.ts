/**
 * How much one spec may ask of one `exportRun`. The run does not continue as new: each resource it exports adds
 * child workflows and activities to its own history, and Temporal warns at 10,240 events (and 10 MB) and ends a
 * run at 51,200 events or 50 MB. So the spec's size is bounded instead, at validation, where the CLI, the
 * Temporal CLI and the Web UI all meet it before the first request.
 *
 * Measured on a dev server (test/integration/run-history-budget.test.ts), resources exported one at a time, which
 * costs the most events (running side by side, their workflow tasks are shared):
 * - a resource with every phase on (traversal, update scan, completeness checks, deletion scan, incremental
 *   high-water mark read and saved) costs about 46 events and 15 KB of history;
 * - each partition of a partitioned resource adds one child traversal: 9 events and 4 KB.
 * With the figures below at their worst, a run holds 100 × 48 + 200 × 10 = 6,800 events and about 2.3 MB
 * (plus the spec itself, at most 512 KiB, copied into the children's inputs): well under both limits.
 */

/** History events one resource may cost `exportRun` with every phase on; the integration test keeps this true. */
export const EVENTS_PER_RESOURCE_ASSUMED = 48;

/** History events one more partition may cost `exportRun`; the integration test keeps this true. */
export const EVENTS_PER_PARTITION_ASSUMED = 10;

/** Resources one spec may list: 100 × 48 events leaves room for the partitions below under 10,240. */
export const MAX_RESOURCES_PER_SPEC = 100;

/** Partitions (`partitions.count`) all of a spec's resources may ask for together: 200 × 10 events. */
export const MAX_PARTITIONS_PER_SPEC = 200;

export interface RunSizeIssue {
  path: Array<string | number>;
  message: string;
}

const SPLIT_ADVICE = 'split it into several specs (one per school or per group of resources, say), each its own run, or run them on a schedule each';

/** Why a spec would make a run's history too long for Temporal, or nothing when it fits. */
export function runSizeIssues(resources: ReadonlyArray<{ partitions?: { count: number } | undefined }>): RunSizeIssue[] {
  const issues: RunSizeIssue[] = [];
  if (resources.length > MAX_RESOURCES_PER_SPEC) {
    issues.push({
      path: ['resources'],
      message: `has ${resources.length} resources, over the cap of ${MAX_RESOURCES_PER_SPEC} per spec (one run's Temporal history holds about ${EVENTS_PER_RESOURCE_ASSUMED} events per resource and warns at 10,240): ${SPLIT_ADVICE}`,
    });
  }
  const partitions = resources.reduce((sum, r) => sum + (r.partitions?.count ?? 0), 0);
  if (partitions > MAX_PARTITIONS_PER_SPEC) {
    issues.push({
      path: ['resources'],
      message: `asks for ${partitions} partitions in all, over the cap of ${MAX_PARTITIONS_PER_SPEC} per spec (each is a child traversal in the run's Temporal history): lower partitions.count or ${SPLIT_ADVICE}`,
    });
  }
  return issues;
}
