import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { startExport, waitForReport } from '../../src/client/exports';
import { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { queryRows } from '../helpers/postgres';
import { startHarness, type Harness } from '../helpers/harness';
import { simulatorSpec, TOKEN_ENV } from '../helpers/specs';
import { lmsExport as runCli } from '../helpers/cli';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

const TASK_QUEUE = 'integrity-test';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 10 });
});

afterAll(async () => {
  await harness?.stop();
});

async function started(simulator: LmsSimulator, body: () => Promise<void>): Promise<void> {
  await simulator.start();
  try {
    await body();
  } finally {
    await simulator.stop();
  }
}

function canvasUsers(name: string, simulator: LmsSimulator, schema: string): ExportSpecInput {
  return simulatorSpec(name, simulator.url, { kind: 'postgres', url: harness.db.url, schema });
}

function lmsExport(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return runCli(args, { address: harness.env.address });
}

describe('schema drift', () => {
  it('reports a field and a type change that appear mid-run, with the page, and still completes', async () => {
    const simulator = new LmsSimulator({ users: 1_000, schemaChangeAtRequest: 5 });
    await started(simulator, async () => {
      const report = await waitForReport(await startExport(harness.env.client, canvasUsers('drift-mid-run', simulator, 'drift_mid'), { taskQueue: TASK_QUEUE }));
      const users = report.resources[0];
      assert.equal(report.status, 'completed');
      assert.equal(users?.recordsFetched, 1_000);
      const found = Object.fromEntries((users?.drift ?? []).map((d) => [`${d.kind} ${d.field}`, d]));
      assert.deepEqual(Object.keys(found).sort(), ['new-field pronouns', 'type-change updated_at']);
      const page = found['new-field pronouns']?.page ?? 0;
      assert.ok(page >= 2 && page <= 6, `seen on page ${page}`);
      assert.equal(found['type-change updated_at']?.page, page);
      assert.match(found['type-change updated_at']?.example ?? '', /^record 1: number, was string$/);
      assert.equal(users?.completeness?.verdict, 'complete-with-drift');

      // The audit table has it beside the page's hash and fingerprint.
      const audit = await queryRows<{ page_number: number; drift: string; fingerprint: string }>(
        harness.db.url,
        'SELECT page_number, drift, fingerprint FROM drift_mid._lms_page_audit WHERE run_id = $1 ORDER BY page_number',
        [report.runId],
      );
      const drifted = audit.filter((a) => JSON.parse(a.drift).length > 0);
      assert.deepEqual(drifted.map((a) => a.page_number), [page]);
      assert.deepEqual(JSON.parse(audit[audit.length - 2]?.fingerprint ?? '{}')['updated_at'], ['number']);
    });
  }, TEST_TIMEOUT_MS);

  it('reports fields new, retyped and vanished against the last run', async () => {
    const before = new LmsSimulator({ users: 300 });
    const after = new LmsSimulator({ users: 300, schemaChangeAtRequest: 0 });
    await started(before, async () => {
      const first = await waitForReport(await startExport(harness.env.client, canvasUsers('drift-runs', before, 'drift_runs'), { taskQueue: TASK_QUEUE, workflowId: 'drift-runs-1' }));
      assert.equal(first.resources[0]?.completeness?.verdict, 'complete');
    });
    await started(after, async () => {
      const second = await waitForReport(await startExport(harness.env.client, canvasUsers('drift-runs', after, 'drift_runs'), { taskQueue: TASK_QUEUE, workflowId: 'drift-runs-2' }));
      const drift = second.resources[0]?.completeness?.findings.drift.map((d) => `${d.kind} ${d.field} ${d.page}`);
      assert.deepEqual(drift?.sort(), ['new-field pronouns null', 'type-change updated_at null']);
      assert.equal(second.status, 'completed');
    });
  }, TEST_TIMEOUT_MS);
});

describe('completeness', () => {
  it('calls a run with a silently dropped page incomplete, naming the count and the missing ids, and fails it plainly', async () => {
    const simulator = new LmsSimulator({ users: 5_000, dropPageAfterPages: 3 });
    await started(simulator, async () => {
      const spec: ExportSpecInput = {
        name: 'dropped-page',
        source: { preset: 'edfi', baseUrl: `${simulator.url}/data/v3`, auth: { bearerTokenEnv: TOKEN_ENV } },
        resources: [{ name: 'students', path: '/ed-fi/students', primaryKey: ['id'], pageSize: 500, completeness: { maxKeyGap: 0 } }],
        sink: { kind: 'postgres', url: harness.db.url, schema: 'dropped' },
      };
      const handle = await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE });
      await assert.rejects(handle.result(), (error: unknown) => error instanceof WorkflowFailedError && /incomplete for 1 resource/.test(error.cause?.message ?? ''));
      const report = await waitForReport(handle);
      assert.equal(report.status, 'incomplete');

      const stored = (await queryRows<{ id: string }>(harness.db.url, 'SELECT id FROM dropped.students')).map((r) => Number(r.id));
      const missing = simulator.truth('/data/v3/ed-fi/students').map((r) => r.id).filter((id) => !stored.includes(id));
      assert.equal(missing.length, 500, 'the simulator dropped one page');
      const verdict = report.resources[0]?.completeness?.verdict ?? '';
      assert.equal(verdict, `incomplete: 500 of 5000 announced rows missing (4500 seen); 500 ids missing in 1 gap(s): ids ${missing[0]}–${missing[499]}`);

      const status = await lmsExport(['status', handle.workflowId]);
      assert.match(status.stdout, /^export-dropped-page: FAILED, phase done\n  students: completed, 4500 records, verdict incomplete: 500 of 5000 announced rows missing/);
    });
  }, TEST_TIMEOUT_MS);
});

describe('verify', () => {
  it('holds on an untouched run and names the row altered in the database afterwards', async () => {
    const simulator = new LmsSimulator({ users: 450 });
    await started(simulator, async () => {
      const report = await waitForReport(await startExport(harness.env.client, canvasUsers('verified', simulator, 'verified'), { taskQueue: TASK_QUEUE }));
      assert.equal(report.status, 'completed');
      const seal = report.resources[0]?.completeness?.seal ?? '';
      assert.match(seal, /^[0-9a-f]{64}$/);

      const holds = await lmsExport(['verify', report.runId]);
      assert.match(holds.stdout, new RegExp(`the audit chain holds\\n  users: holds — 5 pages, 450 rows re-hashed; verdict complete; seal ${seal}`));

      // Someone edits a grade-book row by hand: the record no longer matches its hash.
      await queryRows(harness.db.url, `UPDATE verified.users SET _record = jsonb_set(_record, '{name}', '"Someone Else"') WHERE id = '7'`);
      const broken = await lmsExport(['verify', report.runId]).then(
        () => assert.fail('verify must exit non-zero'),
        (error: { code: number; stdout: string }) => error,
      );
      assert.equal(broken.code, 1);
      assert.match(broken.stdout, /does NOT hold[\s\S]*row \["7"\]: its record no longer matches the hash stored with it/);

      // Covering the tracks (a matching hash) still breaks the seal.
      await queryRows(harness.db.url, `UPDATE verified.users SET _hash = md5(_hash) WHERE id = '8'`);
      const sealed = await lmsExport(['verify', report.runId, '--json']).catch((error: { stdout: string }) => error);
      const result = JSON.parse(sealed.stdout) as { holds: boolean; resources: Array<{ problems: string[] }> };
      assert.equal(result.holds, false);
      assert.ok(result.resources[0]?.problems.some((p) => p.startsWith('the seal does not match')));
    });
  }, TEST_TIMEOUT_MS);
});
