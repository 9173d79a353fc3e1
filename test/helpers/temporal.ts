import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startLocalTemporal } from '../../src/client/dev-server';
import { WORKFLOWS_PATH } from '../../src/client/worker';
import { freePort } from './ports';

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


/**
 * A dev server that keeps its state in a file on a fixed port, as a real deployment does: stopped and started
 * again on the same state and address, runs, workers and clients live through it.
 */
export class RestartableTemporal {
  private running = true;

  private constructor(
    public env: TestWorkflowEnvironment,
    private readonly dbFile: string,
    private readonly port: number,
  ) {}

  static async start(): Promise<RestartableTemporal> {
    const dbFile = join(mkdtempSync(join(tmpdir(), 'lms-temporal-')), 'temporal.db');
    const port = await freePort();
    return new RestartableTemporal(await startTemporal([], dbFile, port), dbFile, port);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.env.teardown();
  }

  async startAgain(): Promise<TestWorkflowEnvironment> {
    this.env = await startTemporal([], this.dbFile, this.port);
    this.running = true;
    return this.env;
  }

  async restart(): Promise<TestWorkflowEnvironment> {
    await this.stop();
    return this.startAgain();
  }

  async teardown(): Promise<void> {
    if (this.running) await this.stop();
  }
}
