import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../src/client/worker';
import { startLocalTemporal } from '../../src/client/dev-server';

/** A test that hangs (an export that never ends) fails after this instead of stalling the suite. */
export const TEST_TIMEOUT_MS = 180_000;

/** Dynamic config every test server gets: continue-as-new is suggested after this many history events. */
export const SUGGEST_CONTINUE_AS_NEW_AFTER = 120;

// Worker lifecycle chatter at INFO drowns the test output; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

/** A real Temporal dev server (see src/client/dev-server.ts for where its CLI comes from) with our test settings. */
export async function startTemporal(extraArgs: string[] = [], dbFilename?: string, port?: number): Promise<TestWorkflowEnvironment> {
  const { server } = await startLocalTemporal({
    dbFilename,
    port,
    extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AFTER}`, ...extraArgs],
  });
  return server;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Workflow code bundled once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  return bundle;
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};

