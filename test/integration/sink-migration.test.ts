import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { openSink } from '../../src/sinks/open-sink';
import type { PersistRequest, Sink } from '../../src/sinks/sink';
import type { SinkConfig } from '../../src/spec/export-spec';
import { duckQuery } from '../helpers/duckdb';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/postgres';

/**
 * A sink made before the audit and quarantine tables' traversal column was named `traversal` calls it `resource`:
 * the tables as that version left them (created, then grown by its ADD COLUMNs), written out here so the test
 * does not depend on what today's code creates. `t` is the qualified name of a table.
 */
const OLD_TABLES = (t: (name: string) => string): string[] => [
  `CREATE TABLE ${t('_lms_page_audit')} (run_id VARCHAR NOT NULL, resource VARCHAR NOT NULL,
    page_number INTEGER NOT NULL, cursor_before VARCHAR, cursor_after VARCHAR, record_count INTEGER NOT NULL,
    sha256 VARCHAR NOT NULL, inserted INTEGER NOT NULL, updated INTEGER NOT NULL, unchanged INTEGER NOT NULL,
    quarantined INTEGER NOT NULL, persisted_at TIMESTAMP NOT NULL, fingerprint VARCHAR, drift VARCHAR, rows_digest VARCHAR,
    chain_link VARCHAR, row_keys VARCHAR, PRIMARY KEY (run_id, resource, page_number))`,
  `CREATE TABLE ${t('_lms_quarantine')} (run_id VARCHAR NOT NULL, resource VARCHAR NOT NULL,
    page_number INTEGER NOT NULL, record_index INTEGER NOT NULL, record VARCHAR NOT NULL, reason VARCHAR NOT NULL,
    quarantined_at TIMESTAMP NOT NULL, resource_table VARCHAR, record_key VARCHAR, issues VARCHAR, readmitted_run VARCHAR,
    PRIMARY KEY (run_id, resource, page_number, record_index))`,
  `INSERT INTO ${t('_lms_page_audit')} (run_id, resource, page_number, cursor_before, cursor_after, record_count, sha256,
    inserted, updated, unchanged, quarantined, persisted_at, row_keys)
    VALUES ('old-run', 'users/p2', 1, 'https://lms.test/users?page=1', 'https://lms.test/users?page=2', 2, 'sha-old', 2, 0, 0, 0, CURRENT_TIMESTAMP, '[]')`,
  `INSERT INTO ${t('_lms_quarantine')} (run_id, resource, page_number, record_index, record, reason, quarantined_at, resource_table, record_key, issues)
    VALUES ('old-run', 'users~updates', 3, 4, '{"name":"keyless"}', 'no primary key', CURRENT_TIMESTAMP, 'users', NULL, '[]')`,
];

let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'sink-migration-'));
});

afterAll(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

interface OldSink {
  config: SinkConfig;
  /** The column names of one of the sink's tables, read by the test's own client (the sink closed). */
  columns(table: string): Promise<string[]>;
}

/** Postgres: a schema of its own per case, the old tables made with the admin client. */
async function oldPostgresSink(schema: string): Promise<OldSink> {
  await queryRows(db.url, `CREATE SCHEMA ${schema}`);
  for (const sql of OLD_TABLES((name) => `${schema}."${name}"`)) await queryRows(db.url, sql);
  return {
    config: { kind: 'postgres', url: db.url, schema },
    columns: async (table) =>
      (await queryRows<{ column_name: string }>(db.url, 'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2', [schema, table])).map(
        (r) => r.column_name,
      ),
  };
}

/** DuckDB: a file of its own per case, the old tables made by the test process (which lets go of the file after each statement). */
async function oldDuckDbSink(file: string): Promise<OldSink> {
  const path = join(dir, file);
  for (const sql of OLD_TABLES((name) => `"${name}"`)) await duckQuery(sql, path);
  return {
    config: { kind: 'duckdb', path },
    columns: async (table) => (await duckQuery(`SELECT column_name FROM information_schema.columns WHERE table_name = '${table}'`, path)).map((r) => String(r['column_name'])),
  };
}

async function withSink<T>(config: SinkConfig, work: (sink: Sink) => Promise<T>): Promise<T> {
  const sink = await openSink(config);
  try {
    return await work(sink);
  } finally {
    await sink.close();
  }
}

/** Stages and persists one page of `users` with a keyless record among them, which goes to quarantine. */
async function persistUsers(sink: Sink, runId: string) {
  const ref = `${runId}/users/1`;
  await sink.stagePage({ ref, runId, resource: 'users', pageNumber: 1, recordsJson: JSON.stringify([{ id: 1, name: 'Ada' }, { id: 2, name: 'Grace' }, { name: 'no id' }]) });
  const request: PersistRequest = {
    ref,
    runId,
    resource: { name: 'users', primaryKey: ['id'] },
    traversal: 'users',
    pageNumber: 1,
    cursorBefore: 'https://lms.test/users?page=1',
    cursorAfter: null,
    sha256: `sha-${runId}`,
  };
  return sink.persistPage(request);
}

/** What a reader of the sink sees of the rows the old version wrote. */
async function assertOldRowsIntact(sink: Sink): Promise<void> {
  const audit = await sink.readRunAudit('old-run', 'users');
  assert.deepEqual(
    audit.map((a) => [a.resource, a.pageNumber, a.cursorBefore, a.recordCount, a.sha256]),
    [['users/p2', 1, 'https://lms.test/users?page=1', 2, 'sha-old']],
  );
  const quarantined = (await sink.readQuarantine({ resource: 'users' })).filter((q) => q.runId === 'old-run');
  assert.deepEqual(
    quarantined.map((q) => [q.resource, q.traversal, q.pageNumber, q.recordIndex, q.reason, q.record]),
    [['users', 'users~updates', 3, 4, 'no primary key', { name: 'keyless' }]],
  );
}

async function assertRenamed(old: OldSink): Promise<void> {
  for (const table of ['_lms_page_audit', '_lms_quarantine']) {
    const columns = await old.columns(table);
    assert.ok(columns.includes('traversal') && !columns.includes('resource'), `${table}: ${columns.join(', ')}`);
  }
}

const kinds: Array<{ kind: string; old: (name: string) => Promise<OldSink> }> = [
  { kind: 'postgres', old: (name) => oldPostgresSink(name) },
  { kind: 'duckdb', old: (name) => oldDuckDbSink(`${name}.duckdb`) },
];

for (const { kind, old: oldSink } of kinds) {
  describe(`a ${kind} sink whose audit and quarantine name the traversal column \`resource\``, () => {
    it('has the column renamed to traversal when opened, the old rows intact, and persists pages afterwards', async () => {
      const old = await oldSink('renamed_on_open');
      assert.ok((await old.columns('_lms_page_audit')).includes('resource'), 'the old sink starts with the old column');
      await withSink(old.config, async (sink) => {
        await assertOldRowsIntact(sink);
        const first = await persistUsers(sink, 'new-run');
        assert.deepEqual([first.inserted, first.quarantined], [2, 1]);
        assert.deepEqual((await sink.readAudit('new-run', 'users')).map((a) => [a.resource, a.recordCount, a.inserted]), [['users', 3, 2]]);
        // Staged and persisted again: the renamed column is still in each table's primary key, which the upserts' ON CONFLICT names.
        const again = await persistUsers(sink, 'new-run');
        assert.deepEqual([again.inserted, again.unchanged, again.quarantined], [0, 2, 1]);
        assert.equal((await sink.readAudit('new-run', 'users')).length, 1);
        assert.deepEqual((await sink.readQuarantine({ resource: 'users' })).filter((q) => q.runId === 'new-run').map((q) => [q.traversal, q.recordIndex]), [['users', 2]]);
      });
      await assertRenamed(old);
    });

    it('is harmless to open again once renamed', async () => {
      const old = await oldSink('opened_twice');
      await withSink(old.config, assertOldRowsIntact);
      await withSink(old.config, async (sink) => {
        await assertOldRowsIntact(sink);
        assert.equal((await persistUsers(sink, 'after-second-open')).inserted, 2);
      });
      await assertRenamed(old);
    });
  });
}

describe('an old postgres sink opened by several workers at once', () => {
  it('is renamed by one of them, and every one reads and writes it', async () => {
    const old = await oldPostgresSink('opened_at_once');
    const sinks = await Promise.all([1, 2, 3, 4].map(() => openSink(old.config)));
    try {
      // Each sink's first use runs its table creation, and with it the rename, in its own transaction and connection.
      await Promise.all(sinks.map((sink) => assertOldRowsIntact(sink)));
      const results = await Promise.all(sinks.map((sink, i) => persistUsers(sink, `worker-${i + 1}`)));
      assert.deepEqual(results.map((r) => r.quarantined), [1, 1, 1, 1]);
    } finally {
      await Promise.all(sinks.map((sink) => sink.close()));
    }
    await assertRenamed(old);
    const audit = await queryRows<{ traversal: string; run_id: string }>(db.url, 'SELECT traversal, run_id FROM opened_at_once._lms_page_audit ORDER BY run_id');
    assert.deepEqual(audit.map((a) => [a.run_id, a.traversal]), [['old-run', 'users/p2'], ['worker-1', 'users'], ['worker-2', 'users'], ['worker-3', 'users'], ['worker-4', 'users']]);
  });
});
