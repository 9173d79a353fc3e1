import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundleOption } from '@temporalio/worker';

/** Every string and every payload's bytes (as UTF-8) in a history: what anyone with history access can read. */
export function historyText(history: temporal.api.history.v1.IHistory): string {
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (value === null || value === undefined) return;
    if (value instanceof Uint8Array) parts.push(Buffer.from(value).toString('utf8'));
    else if (typeof value === 'string') parts.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(history);
  return parts.join('\n');
}

export interface RecordedHistory {
  workflowId: string;
  history: temporal.api.history.v1.IHistory;
}

/** The histories of every run of a workflow id (continue-as-new makes a chain of runs). */
export async function allRunHistories(client: Client, workflowId: string): Promise<RecordedHistory[]> {
  const histories: RecordedHistory[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    histories.push({ workflowId, history: await client.workflow.getHandle(workflowId, execution.runId).fetchHistory() });
  }
  return histories;
}

/** An event's time in epoch milliseconds. */
export function eventMillis(event: temporal.api.history.v1.IHistoryEvent | undefined): number {
  const time = event?.eventTime;
  return Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);
}

const { History } = temporal.api.history.v1;

/**
 * A history as committed JSON (bytes as base64, 64-bit numbers as strings). protobufjs's own object
 * conversion is used because the SDK's protojson helper trips over duplicated protobufjs copies.
 */
export function historyFixture({ workflowId, history }: RecordedHistory): string {
  const events = History.toObject(History.fromObject(history), { longs: String, bytes: String, enums: String });
  return JSON.stringify({ workflowId, history: events }, null, 1);
}

export function historyFromFixture(json: string): RecordedHistory {
  const fixture = JSON.parse(json) as { workflowId: string; history: Record<string, unknown> };
  return { workflowId: fixture.workflowId, history: History.fromObject(fixture.history) };
}

/** Replays histories on the given workflow bundle and fails with every history that no longer replays. */
export async function assertReplays(
  workflowBundle: WorkflowBundleOption,
  histories: RecordedHistory[],
): Promise<void> {
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
    replayed += 1;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  if (replayed !== histories.length) failures.push(`replayed ${replayed} of ${histories.length} histories`);
  if (failures.length > 0) throw new Error(`histories that no longer replay:\n${failures.join('\n')}`);
}

/**
 * With LMS_EXPORT_RECORD_HISTORIES=v<n>, writes the histories as replay fixtures (test/histories), for the
 * replay test to hold every later version of the workflow code to.
 */
export function recordHistoriesIfAsked(histories: RecordedHistory[]): void {
  const version = process.env['LMS_EXPORT_RECORD_HISTORIES'];
  if (!version) return;
  histories.forEach((recorded, i) => writeFileSync(join(__dirname, '..', 'histories', `${version}-${recorded.workflowId.replace(/[^A-Za-z0-9._-]/g, '_')}-${i}.json`), historyFixture(recorded)));
}
