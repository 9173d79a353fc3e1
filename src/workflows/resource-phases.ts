import { executeChild, isCancellation, patched, startChild } from '@temporalio/workflow';
import type { AssessCompletenessInput } from '../activities/assess-completeness';
import { isIncomplete } from '../integrity/verdict';
import type { ResourceConfig } from '../spec/export-spec';
import { intervalSeconds } from '../spec/interval';
import { workflowTaskTimeout } from './activity-options';
import { countersOf, NO_PAGES } from './definitions';
import type { ResourceReport, UpdateScanReport } from './report';
import { deletionScan, type DeletionScanReport } from './deletion-scan';
import { PATCHES } from './patches';
import type { RunContext, TraversalInput } from './run-context';
import type { ResourceEntry } from './run-view';
import { settlePaging, startOf } from './traversal-start';
import { traverseResource } from './traversal-phase';
import { updateScan } from './update-scan';
import { rootCauseMessage } from '../failures';

/**
 * One resource, phase by phase: traversal, update scan, completeness checks, deletion scan, high-water mark. Each
 * phase after the traversal runs only when the one before leaves the resource sound; the report collects them.
 */
export async function exportOne(run: RunContext, entry: ResourceEntry, asConfigured: ResourceConfig): Promise<ResourceReport> {
  const { resource: configured, choice } = await settlePaging(run, asConfigured);
  entry.expected = choice?.total ?? undefined;
  const start = await startOf(run, configured);
  const input: TraversalInput = { runId: run.runId, spec: run.spec.name, source: run.spec.source, resource: start.resource, sink: run.spec.sink, execution: run.execution };
  const report = await traverseResource(run, entry, input);
  if (choice !== undefined) {
    report.paging = { mode: choice.mode, reason: choice.reason };
    // Key-set pages carry no total: the one asked on its own before the traversal stands for its start.
    report.expectedAtStart ??= choice.total;
  }
  if (start.since !== undefined) report.incrementalSince = start.since;
  entry.report = report;
  if (report.status !== 'completed') return report;
  if (configured.updateScan !== undefined && patched(PATCHES.updateScan.id)) {
    run.view.setStatus(entry, 'scanning-updates');
    report.updateScan = await scanUpdates(run, entry, input);
  }
  // Runs started before completeness checks existed end as they began, without them.
  if (patched(PATCHES.completenessChecks.id)) {
    run.view.setStatus(entry, 'checking');
    report.completeness = await run.activities.assessCompleteness({ ...input, fullTraversal: start.since === undefined, traversal: traversalFacts(report) });
    // Where no page carried a total, the checks asked it at the end (count-records.ts).
    report.expectedAtEnd ??= report.completeness.findings.count?.expectedAtEnd ?? null;
  }
  if (report.completeness !== undefined && configured.deletionScan.enabled && patched(PATCHES.deletionScan.id)) {
    run.view.setStatus(entry, 'scanning-deletions');
    report.deletionScan =
      start.since === undefined
        ? await scanDeletions(run, entry, input)
        : { outcome: 'skipped', detail: 'an incremental run reads only what changed: deletions need a full traversal (full: true, or a schedule of its own)' };
  }
  if (configured.incremental !== undefined && !incomplete(report)) {
    const mark = await run.activities.saveHighWater({ runId: run.runId, sink: run.spec.sink, resource: configured, cursorField: configured.incremental.cursorField });
    report.highWater = mark?.value ?? null;
  }
  return report;
}

/** The update scan child: the resource again, filtered to rows changed since the run started (less the overlap). */
async function scanUpdates(run: RunContext, entry: ResourceEntry, input: TraversalInput): Promise<UpdateScanReport> {
  const settings = input.resource.updateScan as NonNullable<typeof input.resource.updateScan>;
  // Ed-Fi: everything whose change version is at least the newest one when the run started; else a time filter.
  const filter: Record<string, string> =
    settings.sinceParam === undefined
      ? { minChangeVersion: String(run.changeVersionAtStart ?? 0) }
      : { [settings.sinceParam]: new Date(Date.parse(run.startedAt) - settings.overlapSeconds * 1000).toISOString() };
  const since = Object.entries(filter).map(([name, value]) => `${name}=${value}`).join('&');
  const workflowId = `${entry.workflowId}-updates`;
  const resource = { ...input.resource, query: { ...input.resource.query, ...filter }, partitions: undefined };
  try {
    const startedPaused = run.children.paused;
    const handle = await startChild(updateScan, { workflowId, workflowTaskTimeout: workflowTaskTimeout(run.execution), args: [{ ...input, resource, workflowId, startPaused: startedPaused }] });
    const report = await run.children.follow(handle, startedPaused);
    return { since, ...countersOf(report), status: report.status === 'completed' ? 'completed' : 'failed', error: report.error };
  } catch (error) {
    if (isCancellation(error)) throw error;
    return { since, ...NO_PAGES, status: 'failed', error: rootCauseMessage(error) };
  }
}

/** The deletion scan child, after a complete traversal only: "not seen" means "gone" only then. */
async function scanDeletions(run: RunContext, entry: ResourceEntry, input: TraversalInput): Promise<DeletionScanReport> {
  if (incomplete(entry.report)) return { outcome: 'skipped', detail: 'the traversal was incomplete: nothing is flagged after an incomplete traversal' };
  const { deletionScan: settings } = input.resource;
  try {
    return await executeChild(deletionScan, {
      workflowId: `${entry.workflowId}-deletions`,
      workflowTaskTimeout: workflowTaskTimeout(run.execution),
      args: [{
        runId: run.runId,
        sink: input.sink,
        resource: { name: input.resource.name, primaryKey: input.resource.primaryKey },
        maxShare: settings.maxShare,
        everySeconds: settings.every === undefined ? undefined : intervalSeconds(settings.every),
        execution: run.execution,
        published: input.resource.updateScan?.changeVersions === true ? { source: input.source, resource: input.resource } : undefined,
      }],
    });
  } catch (error) {
    if (isCancellation(error)) throw error;
    // The export itself is done and sound; a failed scan only means no deletions were judged this time.
    return { outcome: 'failed', detail: rootCauseMessage(error) };
  }
}

export function incomplete(report: ResourceReport | undefined): boolean {
  return isIncomplete(report?.completeness?.verdict);
}

/** What the completeness checks need from a traversal's report (no records: counts, cursors, drift). */
function traversalFacts(report: ResourceReport): AssessCompletenessInput['traversal'] {
  return {
    expectedAtStart: report.expectedAtStart,
    expectedAtEnd: report.expectedAtEnd,
    quarantined: report.quarantined,
    reconciledRows: report.reconciliation?.inserted ?? 0,
    drift: report.drift,
    startCursor: report.startCursor,
    endCursor: report.endCursor,
  };
}
