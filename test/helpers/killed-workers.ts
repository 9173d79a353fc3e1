import type { ChildProcess } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { LmsSimulator, type SimulatorOptions } from '../../src/simulator/server';
import { allRunHistories } from './history';
import { createTestDatabase, type TestDatabase } from './postgres';
import { TOKEN_ENV } from './specs';
import { startTemporal, workflowBundle } from './temporal';
import { exited, spawnWorkerProcess } from './worker-process';

const { EventType } = temporal.api.enums.v1;

/** What a test that SIGKILLs worker processes runs against: a slow simulator, a dev server, a database, its workers. */
export interface KilledWorkersRig {
  env: TestWorkflowEnvironment;
  simulator: LmsSimulator;
  db: TestDatabase;
  /** `lms-export worker` as its own process on `taskQueue`, killed (if still alive) when the rig stops. */
  spawnWorker(taskQueue: string): ChildProcess;
  stop(): Promise<void>;
}

export async function startKilledWorkersRig(simulatorOptions: SimulatorOptions): Promise<KilledWorkersRig> {
  const simulator = new LmsSimulator(simulatorOptions);
  await simulator.start();
  const [env, db] = await Promise.all([startTemporal(), createTestDatabase(), workflowBundle()]);
  const workers: ChildProcess[] = [];
  return {
    env,
    simulator,
    db,
    spawnWorker(taskQueue) {
      const worker = spawnWorkerProcess({ TEMPORAL_ADDRESS: env.address, LMS_EXPORT_TASK_QUEUE: taskQueue, [TOKEN_ENV]: simulator.token });
      workers.push(worker);
      return worker;
    },
    async stop() {
      for (const worker of workers) worker.kill('SIGKILL');
      await Promise.all(workers.map(exited));
      await simulator.stop();
      await db.drop();
      await env.teardown();
    },
  };
}

/** The started events of page fetches (in every run of the workflow) whose previous attempt ended as `lostBy` says. */
export async function retriedPageFetches(
  client: Client,
  workflowId: string,
  lostBy: (lastFailure: temporal.api.failure.v1.IFailure) => boolean,
): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  const events = (await allRunHistories(client, workflowId)).flatMap((run) => run.history.events ?? []);
  const activityTypes = new Map(events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).map((e) => [Number(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name]));
  return events.filter((e) => {
    const started = e.activityTaskStartedEventAttributes;
    return activityTypes.get(Number(started?.scheduledEventId)) === 'fetchPage' && started?.lastFailure != null && lostBy(started.lastFailure);
  });
}
