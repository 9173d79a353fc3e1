import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import type { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import type { RunReport } from '../../src/workflows/report';
import { startHarness, type Harness } from '../helpers/harness';
import { allRunHistories, assertReplays, recordHistoriesIfAsked } from '../helpers/history';
import { queryRows } from '../helpers/postgres';
import { withSimulator } from '../helpers/simulator';
import { TOKEN_ENV } from '../helpers/specs';
import { TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';

/**
 * The Ed-Fi preset as a real ODS/API takes it: the minimal documented spec (no `pagination`) against the strict
 * simulator, which refuses what the ODS/API refuses (pageSize without a server token, totalCount with key-set
 * paging, mixed paging kinds) — sequential, partitioned, before 7.3, and with tokens that expire.
 */
const TASK_QUEUE = 'edfi-paging-test';
const STUDENTS = '/data/v3/ed-fi/students';

let harness: Harness;
let runs = 0;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 6_000 });
});

afterAll(async () => {
  await harness?.stop();
});

type Resource = ExportSpecInput['resources'][number];

function minimalSpec(simulator: LmsSimulator, resource: Partial<Resource> = {}): ExportSpecInput {
  runs += 1;
  return {
    name: `edfi-paging-${runs}`,
    source: { preset: 'edfi', baseUrl: `${simulator.url}/data/v3`, auth: { bearerTokenEnv: TOKEN_ENV } },
    resources: [{ name: 'students', path: '/ed-fi/students', primaryKey: ['id'], pageSize: 500, ...resource }],
    sink: { kind: 'postgres', url: harness.db.url, schema: `edfi_paging_${runs}` },
  };
}

async function exportWith(spec: ExportSpecInput): Promise<RunReport> {
  return waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE, workflowId: `export-${spec.name}` }));
}

async function storedIds(spec: ExportSpecInput): Promise<number[]> {
  const { schema } = spec.sink as Extract<ExportSpecInput['sink'], { kind: 'postgres' }>;
  const rows = await queryRows<{ id: string }>(harness.db.url, `SELECT id FROM ${schema}.students ORDER BY id::int`);
  return rows.map((r) => Number(r.id));
}

describe('Ed-Fi paging against a strict ODS/API', () => {
  it('the minimal spec pages by key set from a server token, exact, with the total asked on its own', async () => {
    const { simulator } = harness;
    const breachesBefore = simulator.stats.breaches.length;
    const spec = minimalSpec(simulator, { updateScan: { changeVersions: true } });
    const report = await exportWith(spec);
    const students = report.resources[0];
    assert.equal(report.status, 'completed', students?.error);
    assert.deepEqual(simulator.stats.breaches.slice(breachesBefore), [], 'no request the ODS/API refuses');
    assert.deepEqual(await storedIds(spec), simulator.truth(STUDENTS).map((r) => r.id));
    assert.equal(students?.paging?.mode, 'key-set');
    assert.match(students?.paging?.reason ?? '', /^ODS\/API 7\.3 \(http:\/\/127\.0\.0\.1:\d+\/\) pages by key set/);
    assert.equal(students?.expectedAtStart, 6_000);
    assert.equal(students?.expectedAtEnd, 6_000);
    assert.deepEqual(students?.completeness?.findings.count, { seen: 6_000, expectedAtStart: 6_000, expectedAtEnd: 6_000, allowed: 0, missing: 0 });
    assert.equal(students?.completeness?.verdict, 'complete');
    assert.equal(students?.reconciliation, null, 'key-set paging needs no second pass');
    // 12 pages and the empty one that ends every Ed-Fi traversal; spot checks re-read pages that held records.
    assert.equal(students?.pages, 13);
    const checks = students?.completeness?.findings.spotChecks ?? [];
    assert.equal(checks.length, 3);
    assert.ok(checks.every((c) => c.keys === 500 && c.notStored === 0), JSON.stringify(checks));
    assert.equal(students?.updateScan?.status, 'completed');
    // Every kind of request the preset sends was among those the strict server accepted.
    for (const path of ['/', '/ChangeQueries/v1/availableChangeVersions', `${STUDENTS}/partitions`, STUDENTS, `${STUDENTS}/deletes`]) {
      assert.ok((simulator.stats.byPath[path] ?? 0) > 0, `no request of ${path}`);
    }

    // The version choice, the update scan and the deletion scan replay on today's code.
    const histories = [
      ...(await allRunHistories(harness.env.client, report.workflowId)),
      ...(await allRunHistories(harness.env.client, `${students?.workflowId}`)),
      ...(await allRunHistories(harness.env.client, `${students?.workflowId}-updates`)),
    ];
    assert.ok(histories.length >= 3);
    recordHistoriesIfAsked(histories);
    await assertReplays(await workflowBundle(), histories);
  }, TEST_TIMEOUT_MS);

  it('a partitioned spec starts each partition from its own token, exact, with the total reported', async () => {
    const { simulator } = harness;
    const breachesBefore = simulator.stats.breaches.length;
    const spec = minimalSpec(simulator, { partitions: { count: 3, maxParallel: 3 } });
    const report = await exportWith(spec);
    const students = report.resources[0];
    assert.equal(report.status, 'completed', students?.error);
    assert.deepEqual(simulator.stats.breaches.slice(breachesBefore), []);
    assert.deepEqual(await storedIds(spec), simulator.truth(STUDENTS).map((r) => r.id));
    assert.equal(students?.partitions?.length, 3);
    assert.equal(students?.paging?.mode, 'key-set');
    assert.equal(students?.expectedAtStart, 6_000);
    assert.equal(students?.completeness?.findings.count?.missing, 0);
  }, TEST_TIMEOUT_MS);

  it('before ODS/API 7.3 the same spec falls back to limit/offset, says why, and is exact', async () => {
    await withSimulator({ users: 1_200, edfiVersion: '7.1.0' }, async (older) => {
      const spec = minimalSpec(older, { partitions: { count: 2, maxParallel: 2 } });
      const report = await exportWith(spec);
      const students = report.resources[0];
      assert.equal(report.status, 'completed', students?.error);
      assert.deepEqual(older.stats.breaches, []);
      assert.deepEqual(await storedIds(spec), older.truth(STUDENTS).map((r) => r.id));
      assert.equal(students?.paging?.mode, 'offset');
      assert.match(students?.paging?.reason ?? '', /^ODS\/API 7\.1 \(.*\) has no key-set paging \(7\.3 and later\): limit\/offset, with a second pass; partitions need key-set paging/);
      assert.equal(students?.partitions, undefined, 'one traversal: partitions need key-set paging');
      assert.equal(students?.expectedAtStart, 1_200, 'limit/offset pages carry the total');
      assert.notEqual(students?.reconciliation, null, 'offsets get their second pass');
      assert.equal(older.stats.byPath[`${STUDENTS}/partitions`], undefined, 'the version document sufficed');
    });
    // Without a version document, the refused /partitions tells the version.
    await withSimulator({ users: 700, edfiVersion: '6.2.0', edfiHideVersion: true }, async (hidden) => {
      const spec = minimalSpec(hidden);
      const report = await exportWith(spec);
      const students = report.resources[0];
      assert.equal(report.status, 'completed', students?.error);
      assert.deepEqual(await storedIds(spec), hidden.truth(STUDENTS).map((r) => r.id));
      assert.equal(students?.paging?.mode, 'offset');
      assert.match(students?.paging?.reason ?? '', /^\/ed-fi\/students\/partitions is refused \(.*404.*\): an ODS\/API before 7\.3/);
    });
  }, TEST_TIMEOUT_MS);

  it('spot checks whose tokens expired are not passes: the verdict is complete-unverified', async () => {
    await withSimulator({ users: 1_000, expireCursorsAfterLastPage: true }, async (expiring) => {
      const spec = minimalSpec(expiring, { pageSize: 100 });
      const report = await exportWith(spec);
      const students = report.resources[0];
      assert.equal(report.status, 'completed', students?.error);
      assert.deepEqual(await storedIds(spec), expiring.truth(STUDENTS).map((r) => r.id));
      const checks = students?.completeness?.findings.spotChecks ?? [];
      assert.deepEqual(checks.map((c) => [c.page, c.unverified]), [[1, 'cursor expired'], [6, 'cursor expired'], [10, 'cursor expired']], 'never the empty 11th page');
      assert.equal(
        students?.completeness?.verdict,
        'complete-unverified: students page 1 not verified (cursor expired); students page 6 not verified (cursor expired); students page 10 not verified (cursor expired)',
      );
    });
  }, TEST_TIMEOUT_MS);

  it('a request the server refuses is shown with its query (paging kinds mixed by a hand-written query)', async () => {
    const { simulator } = harness;
    const spec = minimalSpec(simulator, { pagination: { type: 'offset' }, query: { pageSize: 5 } });
    const report = await exportWith(spec).catch((error: unknown) => assert.fail(String(error)));
    assert.equal(report.status, 'failed');
    assert.match(
      report.resources[0]?.error ?? '',
      /400 on GET \/data\/v3\/ed-fi\/students\?pageSize=5&limit=500&offset=0&totalCount=true: The request is invalid\. Both offset\/limit and key set paging parameters are provided, but only one type of paging can be used\./,
    );
    assert.equal(simulator.stats.breaches.at(-1)?.rule, 'edfi.one-paging-kind');
  }, TEST_TIMEOUT_MS);
});
