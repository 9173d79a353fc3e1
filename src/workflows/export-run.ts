import {
  ApplicationFailure,
  isCancellation,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { executionSchema, type ExportSpec } from '../spec/export-spec';
import { parseExportSpec, SpecError } from '../spec/parse-spec';
import {
  NO_PAGES,
  pauseSignal,
  resumeSignal,
  runProgressQuery,
  type ResourceReport,
  type ResourceStatus,
  type RunReport,
} from './definitions';
import { exportResource } from './export-resource';

interface ResourceEntry {
  resource: string;
  workflowId: string;
  status: ResourceStatus;
  handle?: ChildWorkflowHandle<typeof exportResource>;
  report?: ResourceReport;
  error?: string;
}

function validSpec(input: unknown): ExportSpec {
  try {
    return parseExportSpec(input);
  } catch (error) {
    // A spec that cannot run must fail the workflow now, readably, instead of retrying a workflow task forever.
    if (error instanceof SpecError) throw ApplicationFailure.nonRetryable(error.message, 'InvalidSpec', error.issues);
    throw error;
  }
}

function failureMessage(error: unknown): string {
  let current = error as { message?: string; cause?: unknown } | undefined;
  while (current?.cause !== undefined && current.cause !== null) current = current.cause as typeof current;
  return current?.message ?? String(error);
}

/**
 * The workflow users start, with a plain-JSON ExportSpec as its only input (CLI, `temporal workflow start`,
 * the Web UI or a Schedule). It validates the spec first, then exports each resource as a child workflow,
 * at most `execution.maxParallelResources` at once, and returns a run report. A failed resource does not stop
 * the others; the run then fails with the report attached, so the failure is visible in every client.
 */
export async function exportRun(input: unknown): Promise<RunReport> {
  const spec = validSpec(input);
  const execution = spec.execution ?? executionSchema.parse({});
  const info = workflowInfo();
  const runId = info.firstExecutionRunId;
  const startedAt = new Date().toISOString();
  let paused = false;
  const entries: ResourceEntry[] = spec.resources.map((r) => ({
    resource: r.name,
    workflowId: `${info.workflowId}-${r.name}`,
    status: 'pending',
  }));

  const signalChildren = async (signal: typeof pauseSignal | typeof resumeSignal): Promise<void> => {
    await Promise.all(entries.filter((e) => e.status === 'running').map((e) => e.handle?.signal(signal).catch(() => undefined)));
  };
  setHandler(pauseSignal, async () => {
    paused = true;
    await signalChildren(pauseSignal);
  });
  setHandler(resumeSignal, async () => {
    paused = false;
    await signalChildren(resumeSignal);
  });
  setHandler(runProgressQuery, () => ({
    spec: spec.name,
    phase: entries.every((e) => e.status === 'completed' || e.status === 'failed') ? 'done' : 'traversal',
    paused,
    startedAt,
    resources: entries.map(({ resource, workflowId, status, error, report }) => ({ resource, workflowId, status, records: report?.recordsFetched, error })),
  }));

  const exportOne = async (entry: ResourceEntry, index: number): Promise<void> => {
    const resource = spec.resources[index];
    if (resource === undefined) return;
    entry.status = 'running';
    const startedPaused = paused;
    try {
      entry.handle = await startChild(exportResource, {
        workflowId: entry.workflowId,
        args: [{ runId, workflowId: entry.workflowId, source: spec.source, resource, sink: spec.sink, execution, startPaused: startedPaused }],
      });
      if (paused !== startedPaused) await entry.handle.signal(paused ? pauseSignal : resumeSignal);
      entry.report = await entry.handle.result();
      entry.status = 'completed';
    } catch (error) {
      if (isCancellation(error)) throw error;
      entry.status = 'failed';
      entry.error = failureMessage(error);
    }
  };

  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < entries.length) {
      const index = next++;
      await exportOne(entries[index] as ResourceEntry, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(execution.maxParallelResources, entries.length) }, lane));

  const report: RunReport = {
    spec: spec.name,
    runId,
    workflowId: info.workflowId,
    status: entries.some((e) => e.status === 'failed') ? 'failed' : 'completed',
    startedAt,
    finishedAt: new Date().toISOString(),
    resources: entries.map((e) => e.report ?? failedReport(e, startedAt)),
  };
  if (report.status === 'failed') {
    const failed = entries.filter((e) => e.status === 'failed').map((e) => `${e.resource}: ${e.error}`);
    throw ApplicationFailure.nonRetryable(`export ${spec.name} failed for ${failed.length} resource(s):\n  ${failed.join('\n  ')}`, 'ExportFailed', report);
  }
  return report;
}

function failedReport(entry: ResourceEntry, startedAt: string): ResourceReport {
  return {
    resource: entry.resource,
    workflowId: entry.workflowId,
    status: 'failed',
    ...NO_PAGES,
    expectedAtStart: null,
    expectedAtEnd: null,
    startCursor: null,
    endCursor: null,
    startedAt,
    finishedAt: null,
    durationMs: null,
    continuedAsNew: 0,
    error: entry.error,
  };
}
