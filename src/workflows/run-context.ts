import { proxyActivities } from '@temporalio/workflow';
import type { ExportActivities } from '../activities';
import type { ExecutionConfig, ExportSpec } from '../spec/export-spec';
import { activityOptions } from './activity-options';
import type { ExportResourceInput } from './export-resource';
import type { PausableChildren } from './pausable-children';
import type { RunView } from './run-view';

/** The activities a run calls itself (its children call the page activities). */
export function runActivities(execution: ExecutionConfig) {
  const options = activityOptions(execution, execution.maxAttempts);
  const { listPartitions, readHighWater, saveHighWater, availableChangeVersions, choosePaging, notifyWebhook } = proxyActivities<ExportActivities>(options);
  // Reads every key the run stored and re-fetches three pages: far longer than one page's timeout on a big table.
  const { assessCompleteness } = proxyActivities<ExportActivities>({ ...options, startToCloseTimeout: '1h' });
  return { listPartitions, readHighWater, saveHighWater, availableChangeVersions, choosePaging, notifyWebhook, assessCompleteness };
}

/** What every phase of a run's resources reads: fixed when the run starts. */
export interface RunContext {
  spec: ExportSpec;
  execution: ExecutionConfig;
  /** The run's first execution: the run id of the audit trail. */
  runId: string;
  startedAt: string;
  /** Child workflows in flight: pause and resume reach each of them. */
  children: PausableChildren;
  view: RunView;
  activities: ReturnType<typeof runActivities>;
  /** Ed-Fi change queries: the newest change version when the run started bounds the update scan from below. */
  changeVersionAtStart?: number;
}

/** A resource's traversal input, without its workflow id. */
export type TraversalInput = Omit<ExportResourceInput, 'workflowId'>;
