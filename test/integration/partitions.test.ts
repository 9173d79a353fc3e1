import assert from 'node:assert/strict';
import { afterAll, beforeAll, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { runProgressQuery } from '../../src/workflows/definitions';
import { startHarness, type Harness } from '../helpers/harness';
import { queryRows } from '../helpers/postgres';
import { TOKEN_ENV } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

const TASK_QUEUE = 'partitions-test';
const STUDENTS = 50_000;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: STUDENTS, records: 8_000, latencyMs: 15 });
});

afterAll(() => harness?.stop());

it('exports 50,000 Ed-Fi students as 4 partitions in parallel, equal to truth', async () => {
  const { env, simulator, db } = harness;
  const spec: ExportSpecInput = {
    name: 'edfi-partitioned',
    source: { preset: 'edfi', baseUrl: `${simulator.url}/data/v3`, auth: { bearerTokenEnv: TOKEN_ENV } },
    resources: [{ name: 'students', path: '/ed-fi/students', primaryKey: ['id'], partitions: { count: 4, maxParallel: 4 } }],
    sink: { kind: 'postgres', url: db.url, schema: 'edfi' },
  };
  const handle = await startExport(env.client, spec, { taskQueue: TASK_QUEUE });
  const report = await waitForReport(handle);
  const students = report.resources[0];
  assert.equal(report.status, 'completed', students?.error);
  assert.equal(students?.partitions?.length, 4);
  assert.equal(students?.recordsFetched, STUDENTS);
  assert.equal(students?.inserted, STUDENTS);
  assert.deepEqual(
    students?.partitions?.map((p) => p.recordsFetched),
    [12_500, 12_500, 12_500, 12_500],
  );
  assert.deepEqual((await handle.query(runProgressQuery)).resources[0]?.partitions, { done: 4, total: 4, records: STUDENTS });

  // One traversal never has two requests in flight (the page fetched ahead starts after the previous one
  // arrived), so more than one at once means partitions really ran side by side.
  assert.ok(simulator.stats.peakInFlight >= 2, `peak ${simulator.stats.peakInFlight} requests in flight`);

  const rows = await queryRows<{ id: string }>(db.url, 'SELECT id FROM edfi.students');
  assert.equal(rows.length, STUDENTS);
  assert.deepEqual(
    rows.map((r) => Number(r.id)).sort((a, b) => a - b),
    simulator.truth('/data/v3/ed-fi/students').map((r) => r.id),
  );
  const audit = await queryRows<{ traversal: string; pages: string }>(db.url, 'SELECT traversal, count(*) AS pages FROM edfi._lms_page_audit GROUP BY traversal ORDER BY traversal');
  assert.deepEqual(audit.map((a) => [a.traversal, Number(a.pages)]), [['students/p0', 26], ['students/p1', 26], ['students/p2', 26], ['students/p3', 26]]);
}, TEST_TIMEOUT_MS);

it('splits a keyset source into id ranges exported in parallel, equal to truth', async () => {
  const { env, simulator, db } = harness;
  const spec: ExportSpecInput = {
    name: 'keyset-partitioned',
    source: { preset: 'generic', baseUrl: `${simulator.url}/generic/v1`, auth: { bearerTokenEnv: TOKEN_ENV } },
    resources: [
      {
        name: 'events',
        path: '/events',
        primaryKey: ['id'],
        pageSize: 250,
        pagination: { type: 'keyset', fields: ['id'], params: ['after_id'] },
        partitions: { count: 4, maxParallel: 4, idRange: { min: 1, max: 8_000 }, upperParam: 'max_id' },
      },
    ],
    sink: { kind: 'postgres', url: db.url, schema: 'ranges' },
  };
  const report = await waitForReport(await startExport(env.client, spec, { taskQueue: TASK_QUEUE }));
  const events = report.resources[0];
  assert.equal(report.status, 'completed', events?.error);
  assert.deepEqual(events?.partitions?.map((p) => p.recordsFetched), [2_000, 2_000, 2_000, 2_000]);
  const rows = await queryRows<{ id: string }>(db.url, 'SELECT id FROM ranges.events');
  assert.deepEqual(
    rows.map((r) => Number(r.id)).sort((a, b) => a - b),
    simulator.truth('/generic/v1/events').map((r) => r.id),
  );
}, TEST_TIMEOUT_MS);
