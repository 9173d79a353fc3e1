import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { findTemporalCli } from '../../src/dev/dev-server';
import { startExport, waitForReport } from '../../src/client/exports';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { SpecError } from '../../src/spec/parse-spec';
import { EVENTS_PER_PARTITION_ASSUMED, EVENTS_PER_RESOURCE_ASSUMED, MAX_RESOURCES_PER_SPEC } from '../../src/spec/run-limits';
import { startHarness, type Harness } from '../helpers/harness';
import { simulatorSpec, TOKEN_ENV } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

/**
 * exportRun does not continue as new, so the resource cap of run-limits.ts rests on what one resource costs its
 * history. This measures it with every phase on, resources one at a time (the most events: no workflow task is
 * shared), and fails when a change makes a resource or a partition cost more than the cap assumes.
 */

const TASK_QUEUE = 'run-history-budget';
const RESOURCES = 20;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 5, records: 40 });
});

afterAll(() => harness?.stop());

type Resource = ExportSpecInput['resources'][number];

/** Runs a spec to completion, one resource at a time, and counts the events of the run's own history. */
async function historyEventsOf(name: string, resources: Resource[], source?: ExportSpecInput['source']): Promise<number> {
  const { env, simulator, db } = harness;
  const spec = simulatorSpec(name, simulator.url, { kind: 'postgres', url: db.url, schema: name.replace(/-/g, '_') }, {
    resources,
    ...(source === undefined ? {} : { source }),
    execution: { activityTimeoutSeconds: 10, maxAttempts: 5, maxParallelResources: 1 },
  });
  const handle = await startExport(env.client, spec, { taskQueue: TASK_QUEUE });
  const report = await waitForReport(handle);
  assert.equal(report.status, 'completed', report.resources.map((r) => r.error).join('; '));
  return (await handle.fetchHistory()).events?.length ?? 0;
}

describe("exportRun's history per resource", () => {
  it(`stays within the ${EVENTS_PER_RESOURCE_ASSUMED} events per resource the resource cap assumes, every phase on`, async () => {
    const resources: Resource[] = Array.from({ length: RESOURCES }, (_, i) => ({
      name: `users_${i}`,
      path: '/accounts/1/users',
      primaryKey: ['id'],
      updateScan: { sinceParam: 'updated_since' },
      incremental: { cursorField: 'updated_at' },
      deletionScan: { enabled: true },
      completeness: { spotCheck: true },
    }));
    const events = await historyEventsOf('every-phase', resources);
    // The run's own events (start, validation, the report) are counted against the resources: the figure errs high.
    const perResource = events / RESOURCES;
    console.log(`${events} events for ${RESOURCES} resources: ${perResource.toFixed(1)} per resource`);
    assert.ok(perResource <= EVENTS_PER_RESOURCE_ASSUMED, `${events} events for ${RESOURCES} resources: ${perResource.toFixed(1)} per resource, over the ${EVENTS_PER_RESOURCE_ASSUMED} run-limits.ts assumes`);
    // A run that spent far fewer would mean the phases did not run, and the measurement measured nothing.
    assert.ok(perResource >= EVENTS_PER_RESOURCE_ASSUMED / 2, `only ${perResource.toFixed(1)} events per resource: were the update scan, checks and deletion scan skipped?`);
  }, TEST_TIMEOUT_MS);

  it(`adds at most ${EVENTS_PER_PARTITION_ASSUMED} events per partition, as the partition cap assumes`, async () => {
    const source: ExportSpecInput['source'] = { preset: 'generic', baseUrl: `${harness.simulator.url}/generic/v1`, auth: { bearerTokenEnv: TOKEN_ENV } };
    const partitioned = (count: number): Resource[] => [{
      name: 'events',
      path: '/events',
      primaryKey: ['id'],
      pagination: { type: 'keyset', fields: ['id'], params: ['after_id'] },
      partitions: { count, maxParallel: 1, idRange: { min: 1, max: 40 }, upperParam: 'max_id' },
    }];
    const one = await historyEventsOf('one-partition', partitioned(1), source);
    const eleven = await historyEventsOf('eleven-partitions', partitioned(11), source);
    const perPartition = (eleven - one) / 10;
    console.log(`${one} events with 1 partition, ${eleven} with 11: ${perPartition.toFixed(1)} per partition`);
    assert.ok(perPartition > 0, 'more partitions, more child traversals in the history');
    assert.ok(perPartition <= EVENTS_PER_PARTITION_ASSUMED, `${perPartition.toFixed(1)} events per partition, over the ${EVENTS_PER_PARTITION_ASSUMED} run-limits.ts assumes`);
  }, TEST_TIMEOUT_MS);
});

describe('a spec over the resource cap', () => {
  const overCap = (name: string): ExportSpecInput =>
    simulatorSpec(name, harness.simulator.url, { kind: 'postgres', url: harness.db.url }, {
      resources: Array.from({ length: MAX_RESOURCES_PER_SPEC + 1 }, (_, i) => ({ name: `users_${i}`, path: '/accounts/1/users', primaryKey: ['id'] })),
    });
  const capMessage = new RegExp(`resources: has ${MAX_RESOURCES_PER_SPEC + 1} resources, over the cap of ${MAX_RESOURCES_PER_SPEC} per spec.*split it into several specs`);

  it('is refused by startExport before anything is sent', async () => {
    await assert.rejects(startExport(harness.env.client, overCap('over-cap'), { taskQueue: TASK_QUEUE }), (error: unknown) => {
      assert.ok(error instanceof SpecError);
      assert.match(error.message, capMessage);
      return true;
    });
    await assert.rejects(harness.env.client.workflow.getHandle('export-over-cap').describe(), /not found/i, 'no run was started');
  }, TEST_TIMEOUT_MS);

  it('started from the Temporal CLI, fails at once and for good, naming the cap', async () => {
    const cli = findTemporalCli();
    assert.ok(cli, 'a temporal CLI is installed');
    const file = join(mkdtempSync(join(tmpdir(), 'lms-over-cap-')), 'spec.json');
    writeFileSync(file, JSON.stringify(overCap('over-cap-cli')));
    const requestsBefore = harness.simulator.stats.pageRequests;
    await promisify(execFile)(cli, ['workflow', 'start', '--address', harness.env.address, '--namespace', 'default', '--type', 'exportRun',
      '--task-queue', TASK_QUEUE, '--workflow-id', 'over-cap-cli', '--input-file', file]);
    const handle = harness.env.client.workflow.getHandle('over-cap-cli');
    await assert.rejects(handle.result(), (error: unknown) => {
      assert.ok(error instanceof WorkflowFailedError);
      assert.match(String(error.cause?.message), capMessage);
      return true;
    });
    const history = await handle.fetchHistory();
    const failed = history.events?.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes;
    assert.equal(failed?.failure?.applicationFailureInfo?.type, 'InvalidSpec');
    assert.equal(failed?.failure?.applicationFailureInfo?.nonRetryable, true);
    assert.equal(harness.simulator.stats.pageRequests, requestsBefore, 'no request was sent');
  }, TEST_TIMEOUT_MS);
});
