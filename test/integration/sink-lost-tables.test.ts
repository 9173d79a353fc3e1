import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import { verifyRun } from '../../src/cli/verify-run';
import { pauseSignal, resumeSignal } from '../../src/workflows/definitions';
import { startHarness, type Harness } from '../helpers/harness';
import { queryRows } from '../helpers/postgres';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { progressOf } from '../helpers/progress';

const TASK_QUEUE = 'sink-lost-tables-test';
const USERS = 2_000;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: USERS });
  harness.simulator.latencyMs = 30;
});

afterAll(() => harness?.stop());

/** Exports the users into `schema`, pauses after a few pages, lets `lose` destroy part of the sink, resumes. */
async function exportLosingTables(name: string, schema: string, lose: string) {
  const spec = simulatorSpec(name, harness.simulator.url, { kind: 'postgres', url: harness.db.url, schema });
  const handle = await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE });
  const child = harness.env.client.workflow.getHandle(`${handle.workflowId}-users`);
  await waitFor('3 pages', async () => ((await progressOf(child))?.pages ?? 0) >= 3);
  await handle.signal(pauseSignal);
  await waitFor('the traversal to pause', async () => {
    const progress = await progressOf(child);
    return progress?.paused === true && !progress.fetching;
  });
  await queryRows(harness.db.url, lose);
  await handle.signal(resumeSignal);
  const report = await waitForReport(handle);
  const sink = await harness.worker.sinks.get(spec.sink as never);
  const verification = await verifyRun(sink, report.runId, new Map([['users', ['id']]]));
  const stored = await queryRows<{ n: string }>(harness.db.url, `SELECT count(*) AS n FROM ${schema}.users`);
  return { report, verification, stored: Number(stored[0]?.n) };
}

describe('a sink that loses its tables mid-run', () => {
  it('re-creates a dropped schema, then calls the run incomplete naming the lost pages, and verify fails', async () => {
    const { report, verification, stored } = await exportLosingTables('lost-schema', 'lost_schema', 'DROP SCHEMA lost_schema CASCADE');
    const users = report.resources[0];
    assert.equal(users?.status, 'completed', users?.error);
    assert.equal(users?.recordsFetched, USERS, 'the traversal itself went on to the end');
    assert.ok(stored > 0 && stored < USERS, `the pages after the drop are stored again (${stored})`);
    assert.match(users?.completeness?.verdict ?? '', /^incomplete: pages this run stored are gone from the sink with their rows \(the sink lost them\? run the export again\): users: pages 1–\d+$/);
    assert.equal(verification.holds, false);
    assert.match(verification.resources[0]?.problems.join('\n') ?? '', /users: pages 1–\d+: gone from the audit \(the run stored them; the sink lost them\?\)/);
  }, TEST_TIMEOUT_MS);

  it('re-creates a dropped table, then names the rows it lost, and verify names the first missing row', async () => {
    const { report, verification, stored } = await exportLosingTables('lost-table', 'lost_table', 'DROP TABLE lost_table.users CASCADE');
    const users = report.resources[0];
    assert.equal(users?.status, 'completed', users?.error);
    const lost = USERS - stored;
    assert.ok(lost >= 300, `at least the three pages before the pause are gone (${lost})`);
    const verdict = users?.completeness?.verdict ?? '';
    const first = /first (\S+) from users page 1/.exec(verdict)?.[1];
    assert.match(verdict, new RegExp(`^incomplete: ${lost} rows audited by this run are not stored \\(the sink lost them\\?\\), first \\S+ from users page 1$`));
    const firstId = String(harness.simulator.truth('/api/v1/accounts/1/users')[0]?.['id']);
    assert.ok(first?.includes(firstId), `the first lost row is the first user (${first})`);
    assert.equal(verification.holds, false);
    assert.ok(
      verification.resources[0]?.problems.includes(`row ${first}: stored by users page 1 but missing from the table (${lost} audited rows missing)`),
      verification.resources[0]?.problems.join('\n'),
    );
  }, TEST_TIMEOUT_MS);
});
