import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createExportWorker, type ExportWorker } from '../../src/worker/worker';
import { LmsSimulator, type SimulatorOptions } from '../../src/simulator/server';
import { createTestDatabase, type TestDatabase } from './postgres';
import { TOKEN_ENV } from './specs';
import { startTemporal, workflowBundle } from './temporal';

/** Everything an integration test file runs against: simulator, Temporal dev server, Postgres database, worker. */
export interface Harness {
  env: TestWorkflowEnvironment;
  simulator: LmsSimulator;
  db: TestDatabase;
  worker: ExportWorker;
  stop(): Promise<void>;
}

export async function startHarness(taskQueue: string, simulatorOptions: SimulatorOptions): Promise<Harness> {
  const simulator = new LmsSimulator(simulatorOptions);
  await simulator.start();
  process.env[TOKEN_ENV] = simulator.token;
  const [env, db] = await Promise.all([startTemporal(), createTestDatabase()]);
  const worker = await createExportWorker({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle() });
  const running = worker.run();
  return {
    env,
    simulator,
    db,
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await simulator.stop();
      await db.drop();
      await env.teardown();
    },
  };
}
