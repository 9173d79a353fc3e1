import { ApplicationFailure, condition, isCancellation, patched, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { REQUEST_QUEUE_MEMO, requestQueueBudget } from '../sources/request-budget';
import { executionSchema, type ExportSpec, type ResourceConfig } from '../spec/export-spec';
import { parseExportSpec, SpecError } from '../spec/parse-spec';
import type { RunReport } from './report';
import { alertFor } from './alert';
import { PausableChildren } from './pausable-children';
import { PATCHES } from './patches';
import { exportOne, incomplete } from './resource-phases';
import { runActivities, type RunContext } from './run-context';
import { countVerdict, runLabels } from './run-metrics';
import { runPool } from './run-pool';
import { RunView, type ResourceEntry } from './run-view';
import { LMS_SPEC } from './search-attributes';
import { failedReport } from './traversal-phase';
import { FailureType, rootCauseMessage } from '../failures';

function validSpec(input: unknown): ExportSpec {
  try {
    return parseExportSpec(input);
  } catch (error) {
    // A spec that cannot run must fail the workflow now, readably, instead of retrying a workflow task forever.
    if (error instanceof SpecError) throw ApplicationFailure.nonRetryable(error.message, FailureType.InvalidSpec, error.issues);
    throw error;
  }
}

/**
 * The workflow users start, with a plain-JSON ExportSpec as its only input (CLI, `temporal workflow start`,
 * the Web UI or a Schedule). It validates the spec first, then exports each resource — phase by phase, as child
 * workflows (resource-phases.ts) — at most `execution.maxParallelResources` at once, and returns a run report.
 * A failed resource does not stop the others; the run then fails with the report attached, so the failure is
 * visible in every client.
 */
export async function exportRun(input: unknown): Promise<RunReport> {
  const spec = validSpec(input);
  const execution = spec.execution ?? executionSchema.parse({});
  const activities = runActivities(execution);
  const info = workflowInfo();
  const runId = info.firstExecutionRunId;
  // Workers learn which source queues to poll, and with what budget, from the memos of running exports;
  // a run started from the Temporal CLI or Web UI carries none until it writes its own.
  if (patched(PATCHES.requestQueueMemo.id)) upsertMemo({ [REQUEST_QUEUE_MEMO]: requestQueueBudget(info.taskQueue, spec.source) });
  const startedAt = new Date().toISOString();
  const entries: ResourceEntry[] = spec.resources.map((r) => ({ resource: r.name, workflowId: `${info.workflowId}-${r.name}`, status: 'pending' }));

  const children = new PausableChildren(false, () => view.publish());
  // Search attributes only where the run was started with them (the namespace has them registered).
  const indexed = info.typedSearchAttributes.get(LMS_SPEC) !== undefined && patched(PATCHES.searchAttributes.id);
  const view = new RunView(spec.name, entries, () => children.paused, indexed, startedAt);
  // After the view exists: a pause sent with the start is delivered here and republishes it.
  children.listen();

  // Ed-Fi change queries: the newest change version when the run starts bounds the update scan from below.
  const changeQueries = spec.resources.find((r) => r.updateScan?.changeVersions === true);
  const changeVersionAtStart =
    changeQueries !== undefined && patched(PATCHES.edfiChangeVersions.id)
      ? (await activities.availableChangeVersions({ source: spec.source, resource: changeQueries })).newestChangeVersion
      : undefined;
  const run: RunContext = { spec, execution, runId, startedAt, children, view, activities, changeVersionAtStart };

  // Parents before their children, so no child holds a slot of the pool while its parent waits for one.
  const order = spec.resources.map((_, i) => i).sort((a, b) => depthOf(spec.resources, a) - depthOf(spec.resources, b));
  await runPool(entries.length, execution.maxParallelResources, (position) => {
    const index = order[position] as number;
    return exportEntry(run, entries, entries[index] as ResourceEntry, spec.resources[index]);
  });

  const report: RunReport = {
    spec: spec.name,
    runId,
    workflowId: info.workflowId,
    status: entries.some((e) => e.status === 'failed') ? 'failed' : entries.some((e) => incomplete(e.report)) ? 'incomplete' : 'completed',
    startedAt,
    finishedAt: new Date().toISOString(),
    resources: entries.map((e) => e.report ?? failedReport(e.resource, e.workflowId, e.error ?? 'not run', startedAt)),
  };
  await alertIfOwed(run, report);
  return endedAs(spec.name, entries, report);
}

/** One resource of the run, once its parent (if any) is done: its phases, its status, its verdict counted. */
async function exportEntry(run: RunContext, entries: ResourceEntry[], entry: ResourceEntry, resource: ResourceConfig | undefined): Promise<void> {
  if (resource === undefined) return;
  try {
    if (resource.parent !== undefined) {
      // Children read their parents' keys from the sink: the parent's export (and checks) must be done.
      const parentEntry = entries.find((e) => e.resource === resource.parent?.resource);
      if (parentEntry !== undefined) {
        await condition(() => parentEntry.status === 'completed' || parentEntry.status === 'failed');
        if (parentEntry.status === 'failed' && resource.parent.from === 'run') throw ApplicationFailure.nonRetryable(`its parent resource ${parentEntry.resource} failed`);
      }
    }
    run.view.setStatus(entry, 'running');
    entry.report = await exportOne(run, entry, resource);
    entry.error = entry.report.error;
    run.view.setStatus(entry, entry.report.status);
  } catch (error) {
    if (isCancellation(error)) throw error;
    entry.error = rootCauseMessage(error);
    run.view.setStatus(entry, 'failed');
  }
  countVerdict(runLabels(run.spec.name, entry.resource, run.spec.source.baseUrl), entry.status === 'failed' ? 'failed' : entry.report?.completeness?.verdict);
}

/** The spec's webhook, when this run owes it an alert: delivered with retries; a delivery that fails changes nothing else. */
async function alertIfOwed(run: RunContext, report: RunReport): Promise<void> {
  const { notify } = run.spec;
  const alert = notify === undefined ? undefined : alertFor(report, notify);
  if (alert === undefined || notify === undefined || !patched(PATCHES.notifyWebhook.id)) return;
  try {
    await run.activities.notifyWebhook({ notify, alert });
  } catch (error) {
    if (isCancellation(error)) throw error;
  }
}

/** The report of a completed run; a failed or incomplete one fails the workflow, plainly, with the report attached. */
function endedAs(name: string, entries: ResourceEntry[], report: RunReport): RunReport {
  if (report.status === 'failed') {
    const failed = entries.filter((e) => e.status === 'failed').map((e) => `${e.resource}: ${e.error}`);
    throw ApplicationFailure.nonRetryable(`export ${name} failed for ${failed.length} resource(s):\n  ${failed.join('\n  ')}`, FailureType.ExportFailed, report);
  }
  if (report.status === 'incomplete') {
    // A run whose data is known to be short must not look like a success.
    const short = entries.filter((e) => incomplete(e.report)).map((e) => `${e.resource}: ${e.report?.completeness?.verdict}`);
    throw ApplicationFailure.nonRetryable(`export ${name} is incomplete for ${short.length} resource(s):\n  ${short.join('\n  ')}`, FailureType.ExportIncomplete, report);
  }
  return report;
}

/** How many parents above a resource: 0 for a top-level one. */
function depthOf(resources: ResourceConfig[], index: number): number {
  let depth = 0;
  for (let at = resources[index]; at?.parent !== undefined; at = resources.find((r) => r.name === at?.parent?.resource)) depth += 1;
  return depth;
}
