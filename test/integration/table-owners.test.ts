import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import { claimResourceTable } from '../../src/activities/claim-table';
import { startExport, waitForReport } from '../../src/client/exports';
import { openDriver } from '../../src/sinks/open-sink';
import type { SqlDriver } from '../../src/sinks/sql-driver';
import { SqlSink } from '../../src/sinks/sql-sink';
import { TABLE_OWNED } from '../../src/sinks/table-owners';
import { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput, ResourceConfig, SinkConfig } from '../../src/spec/export-spec';
import { parseExportSpec } from '../../src/spec/parse-spec';
import { startHarness, type Harness } from '../helpers/harness';
import { queryRows } from '../helpers/postgres';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

const TASK_QUEUE = 'table-owners-test';

let harness: Harness;
/** A second district: another source with a resource of the same name. */
let districtB: LmsSimulator;
/** Where the DuckDB sinks' files live. */
let dir: string;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 250 });
  districtB = new LmsSimulator({ users: 120, seed: 7 });
  await districtB.start();
  dir = mkdtempSync(join(tmpdir(), 'table-owners-'));
});

afterAll(async () => {
  await districtB?.stop();
  await harness?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function spec(name: string, simulator: LmsSimulator, schema: string, sharedTable?: boolean): ExportSpecInput {
  const base = simulatorSpec(name, simulator.url, { kind: 'postgres', url: harness.db.url, schema });
  return { ...base, resources: base.resources.map((r) => ({ ...r, ...(sharedTable === undefined ? {} : { sharedTable }) })) };
}

describe('a table belongs to the spec that wrote it first', () => {
  it('refuses a second spec writing the same resource name into the sink, naming the first, before its first request', async () => {
    const first = await waitForReport(await startExport(harness.env.client, spec('district-a', harness.simulator, 'owned'), { taskQueue: TASK_QUEUE }));
    assert.equal(first.resources[0]?.status, 'completed', first.resources[0]?.error);

    const requestsBefore = districtB.stats.pageRequests;
    const second = await waitForReport(await startExport(harness.env.client, spec('district-b', districtB, 'owned'), { taskQueue: TASK_QUEUE }));
    assert.equal(second.resources[0]?.status, 'failed');
    assert.ok(
      second.resources[0]?.error?.includes(
        `table users in this sink belongs to spec "district-a" (resource users, ${harness.simulator.url}/api/v1/accounts/1/users); set "sharedTable": true on both resources to let them write together, or use another sink schema`,
      ),
      second.resources[0]?.error,
    );
    assert.equal(districtB.stats.pageRequests, requestsBefore, 'refused before its first request');
    const rows = await queryRows<{ n: string }>(harness.db.url, `SELECT count(*) AS n FROM owned.users WHERE _first_run = $1`, [first.runId]);
    assert.equal(Number(rows[0]?.n), 250, "the first district's rows are all there, untouched");

    const again = await waitForReport(await startExport(harness.env.client, spec('district-a', harness.simulator, 'owned'), { taskQueue: TASK_QUEUE }));
    assert.equal(again.resources[0]?.status, 'completed', 'the owner writes its table again');
  }, TEST_TIMEOUT_MS);

  it('lets two specs write one table when both resources set sharedTable', async () => {
    const first = await waitForReport(await startExport(harness.env.client, spec('district-a', harness.simulator, 'shared', true), { taskQueue: TASK_QUEUE }));
    const second = await waitForReport(await startExport(harness.env.client, spec('district-b', districtB, 'shared', true), { taskQueue: TASK_QUEUE }));
    assert.deepEqual([first.resources[0]?.status, second.resources[0]?.status], ['completed', 'completed'], second.resources[0]?.error);
    assert.equal(second.resources[0]?.recordsFetched, 120);
    const owners = await queryRows<{ spec: string; shared: string }>(harness.db.url, 'SELECT spec, shared FROM shared._lms_table_owners WHERE table_name = $1', ['users']);
    assert.deepEqual(owners, [{ spec: 'district-a', shared: 'true' }]);
  }, TEST_TIMEOUT_MS);

  it('keeps a table with its spec when the spec reads another URL and runs under workflow ids of its own', async () => {
    // As the demo does: each run on a new simulator port, with a workflow id that is not export-<spec>.
    const first = await waitForReport(await startExport(harness.env.client, spec('moving', harness.simulator, 'moved'), { taskQueue: TASK_QUEUE, workflowId: 'export-moving-1' }));
    assert.equal(first.resources[0]?.status, 'completed', first.resources[0]?.error);
    const second = await waitForReport(await startExport(harness.env.client, spec('moving', districtB, 'moved'), { taskQueue: TASK_QUEUE, workflowId: 'export-moving-2' }));
    assert.equal(second.resources[0]?.status, 'completed', second.resources[0]?.error);
    const owners = await queryRows<{ spec: string; source: string }>(harness.db.url, 'SELECT spec, source FROM moved._lms_table_owners');
    assert.deepEqual(owners, [{ spec: 'moving', source: `${districtB.url}/api/v1` }]);
  }, TEST_TIMEOUT_MS);

  it('adopts a table written before owners were recorded', async () => {
    const first = await waitForReport(await startExport(harness.env.client, spec('district-a', harness.simulator, 'legacy'), { taskQueue: TASK_QUEUE }));
    assert.equal(first.resources[0]?.status, 'completed');
    // A sink of an older version: its tables, no record of owners. Its next writer adopts the table.
    await queryRows(harness.db.url, 'DROP TABLE legacy._lms_table_owners');
    const upgraded = await waitForReport(await startExport(harness.env.client, spec('district-b', districtB, 'legacy'), { taskQueue: TASK_QUEUE }));
    assert.equal(upgraded.resources[0]?.status, 'completed', upgraded.resources[0]?.error);
    const owners = await queryRows<{ spec: string }>(harness.db.url, 'SELECT spec FROM legacy._lms_table_owners');
    assert.deepEqual(owners, [{ spec: 'district-b' }]);
  }, TEST_TIMEOUT_MS);
});

/** A fan-out over courses as a spec writes it, with the enrollments resource as one parent's traversal sees it. */
function fanOutSpec(name: string, sink: SinkConfig, sharedTable?: boolean) {
  const spec = parseExportSpec({
    name,
    source: { preset: 'canvas', baseUrl: `${harness.simulator.url}/api/v1`, auth: { bearerTokenEnv: 'UNUSED' } },
    resources: [
      { name: 'courses', path: '/courses', primaryKey: ['id'] },
      { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id' }, ...(sharedTable === undefined ? {} : { sharedTable }) },
    ],
    sink,
  });
  const template = spec.resources[1] as ResourceConfig;
  const underCourse = (course: number): ResourceConfig => ({ ...template, path: `/courses/${course}/enrollments`, parent: undefined });
  return { spec, template: template.path, underCourse };
}

/** The driver, with the transactions it ran and the owner-table statements sent, as the sink under test sees them. */
function recording(driver: SqlDriver): { driver: SqlDriver; transactions: () => number; ownerWrites: () => string[] } {
  let transactions = 0;
  const ownerWrites: string[] = [];
  const note = (sql: string): void => {
    if (/_lms_table_owners/.test(sql) && /^\s*(INSERT|UPDATE)/i.test(sql)) ownerWrites.push(sql.trim().split(/\s+/)[0] ?? '');
  };
  const recorded: SqlDriver = {
    dialect: driver.dialect,
    jsonType: driver.jsonType,
    table: (name) => driver.table(name),
    jsonParam: (placeholder) => driver.jsonParam(placeholder),
    jsonText: (column, path) => driver.jsonText(column, path),
    tableExists: (name) => driver.tableExists(name),
    hasColumn: (executor, table, column) => driver.hasColumn(executor, table, column),
    query: (sql, params) => {
      note(sql);
      return driver.query(sql, params);
    },
    queryBeside: (sql, params) => {
      note(sql);
      return driver.queryBeside(sql, params);
    },
    transaction: (work) => {
      transactions += 1;
      return driver.transaction((tx) =>
        work({
          query: (sql, params) => {
            note(sql);
            return tx.query(sql, params);
          },
          loadScratch: (name, columns, rows) => tx.loadScratch(name, columns, rows),
        }),
      );
    },
    close: () => driver.close(),
  };
  return { driver: recorded, transactions: () => transactions, ownerWrites: () => [...ownerWrites] };
}

const claimSinks: Array<{ kind: string; config: (name: string) => SinkConfig; owners: (config: SinkConfig) => Promise<Array<Record<string, unknown>>>; setOwner: (config: SinkConfig, spec: string, path: string) => Promise<void> }> = [
  {
    kind: 'postgres',
    config: (name) => ({ kind: 'postgres', url: harness.db.url, schema: `claims_${name}` }),
    owners: (config) => queryRows(harness.db.url, `SELECT table_name, spec, resource, path, shared FROM ${(config as { schema: string }).schema}._lms_table_owners ORDER BY table_name`),
    setOwner: async (config, spec, path) => {
      const schema = (config as { schema: string }).schema;
      await queryRows(harness.db.url, `CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await queryRows(harness.db.url, `CREATE TABLE ${schema}._lms_table_owners (table_name VARCHAR PRIMARY KEY, spec VARCHAR NOT NULL, resource VARCHAR NOT NULL, source VARCHAR NOT NULL, path VARCHAR NOT NULL, shared VARCHAR NOT NULL, claimed_at TIMESTAMP NOT NULL)`);
      await queryRows(harness.db.url, `INSERT INTO ${schema}._lms_table_owners VALUES ('enrollments', $1, 'enrollments', $2, $3, 'false', CURRENT_TIMESTAMP)`, [spec, `${harness.simulator.url}/api/v1`, path]);
    },
  },
  {
    kind: 'duckdb',
    config: (name) => ({ kind: 'duckdb', path: join(dir, `claims-${name}.duckdb`) }),
    owners: async (config) => {
      const driver = await openDriver(config);
      try {
        return await driver.query(`SELECT table_name, spec, resource, path, shared FROM ${driver.table('_lms_table_owners')} ORDER BY table_name`);
      } finally {
        await driver.close();
      }
    },
    setOwner: async (config, spec, path) => {
      const driver = await openDriver(config);
      try {
        const owners = driver.table('_lms_table_owners');
        await driver.query(`CREATE TABLE ${owners} (table_name VARCHAR PRIMARY KEY, spec VARCHAR NOT NULL, resource VARCHAR NOT NULL, source VARCHAR NOT NULL, path VARCHAR NOT NULL, shared VARCHAR NOT NULL, claimed_at TIMESTAMP NOT NULL)`);
        await driver.query(`INSERT INTO ${owners} VALUES ('enrollments', $1, 'enrollments', $2, $3, 'false', CURRENT_TIMESTAMP)`, [spec, `${harness.simulator.url}/api/v1`, path]);
      } finally {
        await driver.close();
      }
    },
  },
];

for (const { kind, config, owners, setOwner } of claimSinks) {
  describe(`a fan-out's claim on its table in the ${kind} sink`, () => {
    /** A worker process's sink over a recording driver: each call is a process of its own, with its own memo. */
    const withSink = async <T>(sinkConfig: SinkConfig, work: (sink: SqlSink, recorded: ReturnType<typeof recording>) => Promise<T>): Promise<T> => {
      const recorded = recording(await openDriver(sinkConfig));
      const sink = new SqlSink(recorded.driver);
      try {
        return await work(sink, recorded);
      } finally {
        await sink.close();
      }
    };

    it('is one claim for a thousand parents, recorded under the path template', async () => {
      const sinkConfig = config('thousand');
      const { spec, template, underCourse } = fanOutSpec('fan-out-a', sinkConfig);
      await withSink(sinkConfig, async (sink, recorded) => {
        for (let course = 1; course <= 1_000; course++) await claimResourceTable(sink, spec.name, spec.source, underCourse(course), template);
        assert.deepEqual(recorded.ownerWrites(), ['INSERT'], 'the owner recorded once');
        assert.ok(recorded.transactions() <= 2, `${recorded.transactions()} transactions (creating the owners table, then the claim)`);
      });
      assert.deepEqual(await owners(sinkConfig), [{ table_name: 'enrollments', spec: 'fan-out-a', resource: 'enrollments', path: '/courses/{course_id}/enrollments', shared: 'false' }]);
      await withSink(sinkConfig, async (sink, recorded) => {
        await claimResourceTable(sink, spec.name, spec.source, underCourse(1_001), template);
        assert.deepEqual(recorded.ownerWrites(), ['INSERT'], 'another process claims once more, and changes nothing (its insert finds the row)');
      });
    });

    it('still refuses another spec writing the same table, and lets two in only when both share it', async () => {
      const sinkConfig = config('refused');
      const first = fanOutSpec('fan-out-a', sinkConfig);
      const second = fanOutSpec('fan-out-b', sinkConfig);
      await withSink(sinkConfig, async (sink) => {
        await claimResourceTable(sink, first.spec.name, first.spec.source, first.underCourse(1), first.template);
        await assert.rejects(claimResourceTable(sink, second.spec.name, second.spec.source, second.underCourse(1), second.template), (error) => {
          assert.ok(error instanceof ApplicationFailure && error.nonRetryable && error.type === TABLE_OWNED);
          assert.match(error.message, /table enrollments in this sink belongs to spec "fan-out-a" \(resource enrollments, http:\/\/\S+\/api\/v1\/courses\/\{course_id\}\/enrollments\)/);
          return true;
        });
        const alsoSharing = fanOutSpec('fan-out-b', sinkConfig, true);
        await assert.rejects(claimResourceTable(sink, alsoSharing.spec.name, alsoSharing.spec.source, alsoSharing.underCourse(2), alsoSharing.template), /belongs to spec "fan-out-a"/, 'shared by one side only');
        const firstSharing = fanOutSpec('fan-out-a', sinkConfig, true);
        await claimResourceTable(sink, firstSharing.spec.name, firstSharing.spec.source, firstSharing.underCourse(3), firstSharing.template);
        await claimResourceTable(sink, alsoSharing.spec.name, alsoSharing.spec.source, alsoSharing.underCourse(4), alsoSharing.template);
      });
      assert.deepEqual((await owners(sinkConfig)).map((o) => [o['spec'], o['shared']]), [['fan-out-a', 'true']]);
    });

    it("takes over an owner row that recorded one parent's filled path, updating it once", async () => {
      // A sink written by an earlier version: the owner row holds the path of whichever parent claimed last.
      const sinkConfig = config('filled');
      await setOwner(sinkConfig, 'fan-out-a', '/courses/7/enrollments');
      const { spec, template, underCourse } = fanOutSpec('fan-out-a', sinkConfig);
      await withSink(sinkConfig, async (sink, recorded) => {
        for (let course = 1; course <= 50; course++) await claimResourceTable(sink, spec.name, spec.source, underCourse(course), template);
        assert.deepEqual(recorded.ownerWrites(), ['INSERT', 'UPDATE'], 'accepted, and the path corrected once');
      });
      assert.deepEqual((await owners(sinkConfig)).map((o) => o['path']), ['/courses/{course_id}/enrollments']);
      await withSink(sinkConfig, async (sink, recorded) => {
        await claimResourceTable(sink, spec.name, spec.source, underCourse(51), template);
        assert.deepEqual(recorded.ownerWrites(), ['INSERT'], 'the next process finds the template and leaves the row alone');
      });
    });
  });
}

describe("a fan-out's table", () => {
  it("is owned under the spec's path template, not a parent's", async () => {
    const spec: ExportSpecInput = simulatorSpec('fan-out-owner', harness.simulator.url, { kind: 'postgres', url: harness.db.url, schema: 'fanned' }, {
      resources: [
        { name: 'courses', path: '/courses', primaryKey: ['id'] },
        { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id' } },
      ],
    });
    const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE }));
    assert.equal(report.status, 'completed', report.resources.map((r) => r.error).join('; '));
    const owners = await queryRows<{ table_name: string; path: string }>(harness.db.url, 'SELECT table_name, path FROM fanned._lms_table_owners ORDER BY table_name');
    assert.deepEqual(owners, [
      { table_name: 'courses', path: '/courses' },
      { table_name: 'enrollments', path: '/courses/{course_id}/enrollments' },
    ]);
  }, TEST_TIMEOUT_MS);
});
