import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundleOption } from '@temporalio/worker';
import { startLocalTemporal } from '../../src/dev/dev-server';
import { dataConverterOption, ENCRYPTED_FAILURE_CONVERTER_PATH } from '../../src/codec/data-converter';
import { encryptionKeysFromEnv, type EncryptionKeys } from '../../src/codec/encryption-keys';
import { cachedWorkflowBundle, workflowBundleOption } from '../../src/worker/workflow-bundle';
import { ENCRYPTED_WORKFLOW_BUNDLE_ENV, TEMPORAL_RUNTIME_SLOT, WORKFLOW_BUNDLE_ENV } from '../setup/handoff';
import { freePort, portIsFree } from './ports';
import { waitFor } from './wait';

/** A test that hangs (an export that never ends) fails after this instead of stalling the suite. */
export const TEST_TIMEOUT_MS = 180_000;

/** Dynamic config every test server gets: continue-as-new is suggested after this many history events. */
export const SUGGEST_CONTINUE_AS_NEW_AFTER = 120;

// Worker lifecycle chatter at INFO drowns the test output; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });
// The test environment shuts the runtime down once the file is done (test/setup/temporal-environment.ts).
(globalThis as unknown as Record<symbol, unknown>)[TEMPORAL_RUNTIME_SLOT] = Runtime;

/** A real Temporal dev server (see src/dev/dev-server.ts for where its CLI comes from) with our test settings. */
export async function startTemporal(extraArgs: string[] = [], dbFilename?: string, port?: number): Promise<TestWorkflowEnvironment> {
  const { server } = await startLocalTemporal({
    dbFilename,
    port,
    extraArgs: [
      '--dynamic-config-value',
      `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AFTER}`,
      // The server holds each new run of a workflow id back until a second has passed since the previous one
      // started (a guard against continue-as-new loops). Runs in production last far longer than that; the small
      // histories of the tests make them continue as new every few pages, and each would wait out the second.
      '--dynamic-config-value',
      'history.workflowIdReuseMinimalInterval="0s"',
      ...extraArgs,
    ],
  });
  return server;
}

const bundles = new Map<boolean, Promise<WorkflowBundleOption>>();

/**
 * The workflow code: the bundle jest's globalSetup built for the whole run (test/setup/bundle-workflows.ts), or,
 * outside jest, the one in the cache the workers use (src/worker/workflow-bundle.ts). Workers with encryption keys
 * (LMS_EXPORT_ENCRYPTION_KEY, by default) get the variant whose failures are encrypted too.
 */
export function workflowBundle(options: { encrypted?: boolean } = {}): Promise<WorkflowBundleOption> {
  const encrypted = options.encrypted ?? encryptionKeysFromEnv() !== undefined;
  const prebuilt = process.env[encrypted ? ENCRYPTED_WORKFLOW_BUNDLE_ENV : WORKFLOW_BUNDLE_ENV];
  if (prebuilt !== undefined) return Promise.resolve({ codePath: prebuilt });
  let bundle = bundles.get(encrypted);
  if (bundle === undefined) {
    bundle = cachedWorkflowBundle(encrypted ? { failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH } : {}).then(workflowBundleOption);
    bundles.set(encrypted, bundle);
  }
  return bundle;
}

/**
 * A client of the test server with the project's data converter: it reads and writes encrypted payloads with
 * `keys` (default LMS_EXPORT_ENCRYPTION_KEY(S)), as the CLI does; `env.client` sees history as stored.
 */
export function codecClient(env: TestWorkflowEnvironment, keys: EncryptionKeys | undefined = encryptionKeysFromEnv()): Client {
  return new Client({ connection: env.connection, namespace: env.namespace ?? 'default', ...dataConverterOption(keys) });
}

/**
 * A dev server that keeps its state in a file on a fixed port, as a real deployment does: stopped and started
 * again on the same state and address, runs, workers and clients live through it.
 */
export class RestartableTemporal {
  private running = true;
  /** Set when the server was started but `createLocal` gave up on it, and this environment attached to it instead. */
  private attached = false;

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
    // An attached environment does not own the server process: end it here.
    if (this.attached) for (const pid of serverProcesses(this.dbFile)) process.kill(pid, 'SIGTERM');
    this.attached = false;
  }

  async startAgain(): Promise<TestWorkflowEnvironment> {
    // The stopped server may still be exiting (holding its port and database file) after its clients lost it.
    await waitFor(`the stopped server on port ${this.port} to exit`, async () => serverProcesses(this.dbFile).length === 0 && (await portIsFree(this.port)), 60_000);
    try {
      this.env = await startTemporal([], this.dbFile, this.port);
    } catch (error) {
      // createLocal gives its client 10 s to connect; a server restarted on its database can take longer to answer.
      // Its process is up: attach to it once it answers.
      if (serverProcesses(this.dbFile).length === 0) throw error;
      this.attached = true;
      this.env = await waitFor('the restarted server to answer', () => TestWorkflowEnvironment.createFromExistingServer({ address: `127.0.0.1:${this.port}` }).catch(() => undefined), 60_000);
    }
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

/** The processes running with `dbFile` in their command line: a dev server keeping its state there. */
function serverProcesses(dbFile: string): number[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(dbFile))
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter((pid) => Number.isInteger(pid) && pid !== process.pid);
}
