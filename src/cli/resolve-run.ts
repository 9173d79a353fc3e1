import { existsSync, statSync } from 'node:fs';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { readSpecFile, runWorkflowId } from '../client/exports';

/**
 * One way to name a run in every command that acts on one (status, pause, resume, cancel, start --retry-failed):
 * a spec file, a spec name, or a workflow id. A spec (file or name) means its latest run, scheduled runs
 * included; anything else is taken as a workflow id.
 */
export interface ResolvedRun {
  workflowId: string;
  /** How the identifier was read, for messages. */
  by: 'spec-file' | 'spec-name' | 'workflow-id';
}

/** What a schedule appends to the action's workflow id: the scheduled time, RFC 3339 (`-2026-05-01T10:00:00Z`). */
const SCHEDULED_SUFFIX = /^-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Spec names are lowercase words joined by hyphens (see export-spec.ts), so a workflow id can look like one. */
const SPEC_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Whether a workflow id is a run of this spec: `export-<name>`, or a scheduled run `export-<name>-<time>`; not `export-<name>-b`. */
export function isRunOfSpec(workflowId: string, specName: string): boolean {
  const base = runWorkflowId({ name: specName });
  return workflowId === base || (workflowId.startsWith(base) && SCHEDULED_SUFFIX.test(workflowId.slice(base.length)));
}

/** The newest `exportRun` of a spec on this namespace (by start time), from the visibility store. */
export async function latestRunOfSpec(client: Client, specName: string): Promise<string | undefined> {
  const base = runWorkflowId({ name: specName });
  let newest: { workflowId: string; startTime: number } | undefined;
  const query = `WorkflowType = 'exportRun' AND WorkflowId STARTS_WITH '${base}'`;
  for await (const execution of client.workflow.list({ query })) {
    if (!isRunOfSpec(execution.workflowId, specName)) continue;
    const startTime = execution.startTime.getTime();
    if (newest === undefined || startTime > newest.startTime) newest = { workflowId: execution.workflowId, startTime };
  }
  return newest?.workflowId;
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

/** Resolves a spec file, spec name or workflow id to the workflow id of the run it means; throws when none matches. */
export async function resolveRun(client: Client, identifier: string): Promise<ResolvedRun> {
  if (isFile(identifier)) {
    const { spec } = readSpecFile(identifier);
    const workflowId = await latestRunOfSpec(client, spec.name);
    if (workflowId === undefined) throw new Error(`no run of spec ${spec.name} (from ${identifier}) on this Temporal namespace: start one with lms-export start ${identifier}`);
    return { workflowId, by: 'spec-file' };
  }
  if (SPEC_NAME.test(identifier)) {
    const workflowId = await latestRunOfSpec(client, identifier);
    if (workflowId !== undefined) return { workflowId, by: 'spec-name' };
  }
  try {
    await client.workflow.getHandle(identifier).describe();
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    throw new Error(`no export run matches "${identifier}": it is not a spec file, no run of a spec by that name is known, and no workflow has that id`);
  }
  return { workflowId: identifier, by: 'workflow-id' };
}
