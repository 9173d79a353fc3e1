import { readFileSync } from 'node:fs';
import {
  ApplicationFailure,
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type Payload,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { REQUEST_QUEUE_MEMO, requestQueueBudget } from '../sources/request-budget';
import { workflowTaskTimeout } from '../workflows/activity-options';
import type { ExportSpec } from '../spec/export-spec';
import { parseExportSpec } from '../spec/parse-spec';
import { pauseSignal } from '../workflows/definitions';
import type { RunReport } from '../workflows/report';
import type { exportRun } from '../workflows/export-run';
import { dataConverterOption } from '../codec/data-converter';
import { withReconnect } from './reconnect';
import { taskQueue, temporalAddress, temporalNamespace } from './settings';
import { runMetadata } from './run-metadata';
import { temporalConnectionOptions } from './temporal-connection';
import { assertSpecSize, isPayloadTooLarge, jsonBytes, MAX_SPEC_BYTES } from './spec-size';
import { FailureType } from '../failures';

/** Typed helpers over the Temporal client: what the CLI, the demo and the tests do with an export. */

/** A client of the server the environment names (temporal-connection.ts), encrypting payloads when keys are set. */
export async function connectClient(): Promise<Client> {
  // Both read first: a malformed key or path fails before anything is sent.
  const converter = dataConverterOption();
  const connection = await Connection.connect(temporalConnectionOptions());
  return new Client({ connection, namespace: temporalNamespace(), ...converter });
}

/** Reads and validates a spec file; a bad spec fails here, before any request is sent. */
export function readSpecFile(path: string): { spec: ExportSpec; raw: unknown } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read spec ${path}: ${(error as Error).message}`);
  }
  return { spec: parseExportSpec(raw), raw };
}

export function runWorkflowId(spec: Pick<ExportSpec, 'name'>): string {
  return `export-${spec.name}`;
}

/**
 * Starts `exportRun` with the spec as the user wrote it (the workflow fills defaults itself), under an id
 * derived from the spec name, so a second start of a running export is refused instead of running twice.
 * A spec too big for a workflow input is refused here (spec-size.ts), before anything is sent.
 */
export async function startExport(
  client: Client,
  raw: unknown,
  options: { workflowId?: string; taskQueue?: string; paused?: boolean } = {},
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof exportRun>> {
  const spec = parseExportSpec(raw);
  assertSpecSize(raw);
  const queue = options.taskQueue ?? taskQueue();
  const workflowId = options.workflowId ?? runWorkflowId(spec);
  const startOptions = {
    taskQueue: queue,
    workflowId,
    args: [raw] as [unknown],
    // Published at start so workers begin polling the source's request queue before the first page is due.
    memo: { [REQUEST_QUEUE_MEMO]: requestQueueBudget(queue, spec.source) },
    workflowTaskTimeout: workflowTaskTimeout(spec.execution),
    ...(await runMetadata(client, spec)),
  };
  try {
    if (!options.paused) return await client.workflow.start<typeof exportRun>('exportRun', startOptions);
    // Started paused: the pause arrives with the start, so not one request is sent before the operator resumes.
    const handle = await client.workflow.signalWithStart<typeof exportRun, []>('exportRun', { ...startOptions, signal: pauseSignal, signalArgs: [] });
    return Object.assign(handle, { firstExecutionRunId: handle.signaledRunId });
  } catch (error) {
    if (isPayloadTooLarge(error)) {
      // A server configured below the default blob limit: say what was refused instead of "Failed to start Workflow".
      throw new Error(`the Temporal server refused to start ${workflowId}: the spec (${jsonBytes(raw)} bytes of JSON) is over the server's payload size limit (limit.blobSize.error; ${MAX_SPEC_BYTES} bytes pass a default server). Make the spec smaller: split long parent.keys lists, query arrays or its resources over several specs`, { cause: error });
    }
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const running = await client.workflow.getHandle(workflowId).describe().catch(() => undefined);
    const since = running === undefined ? '' : ` (started ${running.startTime.toISOString()})`;
    throw new ExportAlreadyRunningError(`export ${workflowId} is already running${since}; use lms-export status/pause/cancel ${workflowId}`, workflowId);
  }
}

/** A start refused because a run with the same workflow id is still going: exports never run twice at once. */
export class ExportAlreadyRunningError extends Error {
  constructor(
    message: string,
    readonly workflowId: string,
  ) {
    super(message);
    this.name = 'ExportAlreadyRunningError';
  }
}

/**
 * The run report, from a completed run or from the details of a failed one. A server that goes away while the
 * run goes on (a restart) is waited for, up to RECONNECT_BOUND_MS, saying so on stderr; the wait then resumes.
 */
export async function waitForReport(handle: WorkflowHandle<typeof exportRun>, options: { log?: (line: string) => void } = {}): Promise<RunReport> {
  const { connection } = handle.client;
  const address = connection instanceof Connection ? connection.options.address : temporalAddress();
  try {
    return await withReconnect(() => handle.result(), { address, probe: () => handle.describe(), log: options.log });
  } catch (error) {
    // exportRun fails with the report as the failure's details when a resource failed (see export-run.ts).
    if (error instanceof WorkflowFailedError && error.cause instanceof ApplicationFailure && (error.cause.type === FailureType.ExportFailed || error.cause.type === FailureType.ExportIncomplete)) {
      const report = error.cause.details?.[0] as RunReport | undefined;
      if (report?.resources !== undefined) return report;
    }
    throw error;
  }
}

export { exportStatus, type ExportStatus, type RetryingActivity } from './run-status';

/**
 * The spec a run was started with, read back from its history (the first event's input): `lms-export verify`
 * needs only a run id. A spec holds no secrets, so nothing is exposed that history did not already hold.
 */
export async function specOfRun(client: Client, runId: string): Promise<ExportSpec> {
  if (!/^[0-9a-f-]{36}$/i.test(runId)) throw new Error(`"${runId}" is not a run id (a UUID, as the report's runId shows)`);
  let workflowId: string | undefined;
  for await (const execution of client.workflow.list({ query: `WorkflowType = 'exportRun' AND RunId = '${runId}'` })) workflowId = execution.workflowId;
  if (workflowId === undefined) throw new Error(`no export run ${runId} on this Temporal namespace (give --spec to read the sink directly)`);
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (payload === undefined || payload === null) throw new Error(`run ${runId} has no input in its history`);
  // Decoded as the client decodes any payload: an encrypted history's input goes through its codec first.
  const { payloadCodecs, payloadConverter } = client.options.loadedDataConverter;
  let decoded: Payload[] = [payload];
  for (const codec of [...payloadCodecs].reverse()) decoded = await codec.decode(decoded);
  return parseExportSpec(payloadConverter.fromPayload(decoded[0] ?? payload));
}

/**
 * Cancels a run: each traversal, fan-out and scan under it ends cancelled at its next step (the run cancels its
 * children by workflow id, so children that continued as new hear it too); what was persisted stays.
 */
export async function cancelExport(client: Client, workflowId: string): Promise<void> {
  await client.workflow.getHandle(workflowId).cancel();
}
