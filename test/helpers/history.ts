import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

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

/** The histories of every run of a workflow id (continue-as-new makes a chain of runs). */
export async function allRunHistories(client: Client, workflowId: string): Promise<temporal.api.history.v1.IHistory[]> {
  const histories: temporal.api.history.v1.IHistory[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    histories.push(await client.workflow.getHandle(workflowId, execution.runId).fetchHistory());
  }
  return histories;
}

const { History } = temporal.api.history.v1;

/**
 * A history as committed JSON (bytes as base64, 64-bit numbers as strings). protobufjs's own object
 * conversion is used because the SDK's protojson helper trips over duplicated protobufjs copies.
 */
export function historyFixture(history: temporal.api.history.v1.IHistory): string {
  return JSON.stringify(History.toObject(History.fromObject(history), { longs: String, bytes: String, enums: String }), null, 1);
}

export function historyFromFixture(json: string): temporal.api.history.v1.History {
  return History.fromObject(JSON.parse(json) as Record<string, unknown>);
}
