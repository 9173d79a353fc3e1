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

/** Values the bulk paths (COPY text, the appender) must carry unchanged: every character COPY escapes, and more. */
const AWKWARD = ["O'Brien \"the\" \\ back\\slash", 'tab\there', 'line\nbreak\r\nand return\r', '\\N', '\\.', 'ünïcødé 学生 🎓', ''];

function users(ids: Array<number | string>, suffix = ''): Array<Record<string, unknown>> {
  return ids.map((id) => ({ id, name: `user ${id}${suffix}`, note: AWKWARD }));
}

let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'bulk-sink-'));
});

afterAll(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

interface StoredRow {
  key: string;
  record: string;
  hash: string;
  lastRun: string;
  syncedAt: string;
}

const sinks: Array<{ kind: string; config: () => SinkConfig; rows: (table: string) => Promise<StoredRow[]> }> = [
  {
    kind: 'postgres',
    config: () => ({ kind: 'postgres', url: db.url, schema: 'bulk' }),
    rows: async (table) =>
      (await queryRows<Record<string, string>>(db.url, `SELECT _key, _record::text AS record, _hash, _last_run, _synced_at::text AS synced FROM bulk."${table}" ORDER BY _key`)).map((r) => ({
        key: String(r['_key']),
        record: String(r['record']),
        hash: String(r['_hash']),
        lastRun: String(r['_last_run']),
        syncedAt: String(r['synced']),
      })),
  },
  {
    kind: 'duckdb',
    config: () => ({ kind: 'duckdb', path: join(dir, 'bulk.duckdb') }),
    rows: async (table) =>
      (await duckQuery(`SELECT _key, _record AS record, _hash, _last_run, CAST(_synced_at AS VARCHAR) AS synced FROM "${table}" ORDER BY _key`, join(dir, 'bulk.duckdb'))).map((r) => ({
        key: String(r['_key']),
        record: String(r['record']),
        hash: String(r['_hash']),
        lastRun: String(r['_last_run']),
        syncedAt: String(r['synced']),
      })),
  },
];

for (const { kind, config, rows } of sinks) {
  describe(`the ${kind} sink's bulk upsert`, () => {
    let sink: Sink;
    /** The DuckDB file is opened by the test's own reader between steps: the sink lets go of it first. */
    const withSink = async <T>(work: (s: Sink) => Promise<T>): Promise<T> => {
      sink = await openSink(config());
      try {
        return await work(sink);
      } finally {
        await sink.close();
      }
    };

    async function persist(table: string, runId: string, pageNumber: number, records: unknown[], primaryKey = ['id']) {
      const ref = `${runId}/${table}/${pageNumber}`;
      const request: PersistRequest = {
        ref,
        runId,
        resource: { name: table, primaryKey },
        traversal: table,
        pageNumber,
        cursorBefore: `page ${pageNumber}`,
        cursorAfter: null,
        sha256: `sha-${runId}-${pageNumber}`,
      };
      return withSink(async (s) => {
        await s.stagePage({ ref, runId, resource: table, pageNumber, recordsJson: JSON.stringify(records) });
        return s.persistPage(request);
      });
    }

    it('inserts new keys, updates changed records and counts unchanged ones by hash', async () => {
      const first = await persist('people', 'run1', 1, users([1, 2, 3]));
      assert.deepEqual([first.inserted, first.updated, first.unchanged], [3, 0, 0]);
      const second = await persist('people', 'run2', 1, [...users([1]), ...users([2], ' renamed'), ...users([4])]);
      assert.deepEqual([second.inserted, second.updated, second.unchanged], [1, 1, 1]);
      const stored = await rows('people');
      assert.deepEqual(stored.map((r) => r.key), ['["1"]', '["2"]', '["3"]', '["4"]']);
      assert.equal(JSON.parse(stored[1]!.record).name, 'user 2 renamed');
      assert.deepEqual(stored.map((r) => r.lastRun), ['run2', 'run2', 'run1', 'run2'], 'an unchanged row is still marked seen by the run');
      const audit = await withSink((s) => s.readAudit('run2', 'people'));
      assert.deepEqual(audit.map((a) => [a.inserted, a.updated, a.unchanged, a.recordCount]), [[1, 1, 1, 3]]);
    });

    it('changes nothing when a page is staged and persisted again', async () => {
      const records = users([10, 11, 12]);
      await persist('replayed', 'run1', 1, records);
      const before = await rows('replayed');
      const again = await persist('replayed', 'run1', 1, records);
      assert.deepEqual([again.inserted, again.updated, again.unchanged], [0, 0, 3]);
      assert.deepEqual(await rows('replayed'), before, 'no row rewritten, not even its sync time');
      const audit = await withSink((s) => s.readAudit('run1', 'replayed'));
      assert.deepEqual(audit.map((a) => [a.inserted, a.updated, a.unchanged]), [[3, 0, 0]], 'the audit row stays the first persist’s');
    });

    it('carries keys and values that need quoting or escaping through unchanged', async () => {
      const nonEmpty = AWKWARD.filter((k) => k !== '');
      const keys = [...nonEmpty, 'plain'];
      const region = (i: number): string => nonEmpty[(i + 1) % nonEmpty.length]!;
      const records = keys.map((id, i) => ({ id, region: region(i), name: `${id}\t${id}`, empty: '' }));
      const result = await persist('awkward', 'run1', 1, records, ['id', 'region']);
      assert.equal(result.inserted, keys.length);
      const stored = await rows('awkward');
      const byKey = new Map(stored.map((r) => [r.key, JSON.parse(r.record) as Record<string, unknown>]));
      for (const [i, id] of keys.entries()) {
        const record = byKey.get(JSON.stringify([id, region(i)]));
        assert.deepEqual(record, records[i], `the record keyed ${JSON.stringify(id)} is stored as served`);
      }
      const again = await persist('awkward', 'run2', 1, records, ['id', 'region']);
      assert.deepEqual([again.inserted, again.updated, again.unchanged], [0, 0, keys.length], 'their hashes compare equal in SQL');
    });

    it(kind === 'postgres' ? 'quarantines a record holding U+0000 (PostgreSQL text cannot) and stores the rest' : 'stores a record holding U+0000, in its key too', async () => {
      const result = await persist('nul', 'run1', 1, [{ id: 'k\u0000ey', name: 'a\u0000b' }, { id: 'fine', name: 'fine' }]);
      if (kind === 'postgres') {
        assert.deepEqual([result.inserted, result.quarantined], [1, 1]);
        assert.match(result.firstIssue ?? '', /U\+0000/);
      } else {
        assert.deepEqual([result.inserted, result.quarantined], [2, 0]);
        const stored = await rows('nul');
        assert.deepEqual(stored.map((r) => JSON.parse(r.key)), [['fine'], ['k\u0000ey']]);
        assert.equal(JSON.parse(stored[1]!.record).name, 'a\u0000b');
      }
    });

    it('upserts a page of 2,000 records in one merge', async () => {
      const ids = Array.from({ length: 2_000 }, (_, i) => i + 1);
      const first = await persist('big', 'run1', 1, users(ids));
      assert.equal(first.inserted, 2_000);
      const second = await persist('big', 'run2', 1, [...users(ids.filter((id) => id % 200 !== 0)), ...users(['200']), ...users([2_001])]);
      assert.equal(second.inserted, 1);
      assert.equal(second.quarantined, 1, 'a key of another JSON type is set aside, not merged');
      assert.equal(second.unchanged, 1_990);
      assert.equal((await rows('big')).length, 2_001);
    });

    it("walks a run's rows a batch at a time, in the key order readRunRows returns them in whole", async () => {
      // Nine pages of four under run1, then run2 rewrites the first page's rows: run1 keeps 32, exactly 8 batches of 4.
      for (let page = 1; page <= 9; page += 1) await persist('walked', 'run1', page, users([1, 2, 3, 4].map((i) => (page - 1) * 4 + i)));
      await persist('walked', 'run2', 1, users([1, 2, 3, 4], ' again'));
      const resource = { name: 'walked', primaryKey: ['id'] };
      await withSink(async (s) => {
        for (const [runId, expected] of [['run1', 32], ['run2', 4]] as const) {
          const whole = await s.readRunRows(runId, resource);
          const batches: unknown[][] = [];
          for await (const batch of s.runRowBatches(runId, resource, 4)) batches.push(batch);
          assert.equal(whole.length, expected);
          assert.deepEqual(batches.map((b) => b.length), Array.from({ length: expected / 4 }, () => 4), 'full batches, and no empty one after the last');
          assert.deepEqual(batches.flat(), whole);
        }
      });
    });

    it('finds an audited row the table lost on a page past the first read of the audit', async () => {
      // 51 audited pages: the audit is read 50 pages at a time, so page 51 is in the second read.
      for (let page = 1; page <= 51; page += 1) await persist('audited', 'run1', page, users([page]));
      const resource = { name: 'audited', primaryKey: ['id'] };
      const lostKey = (await withSink((s) => s.readRunRows('run1', resource))).find((row) => row.pageSha256 === 'sha-run1-51')?.key as string;
      if (kind === 'postgres') await queryRows(db.url, 'DELETE FROM bulk."audited" WHERE _key = $1', [lostKey]);
      else await duckQuery(`DELETE FROM "audited" WHERE _key = '${lostKey.replaceAll("'", "''")}'`, join(dir, 'bulk.duckdb'));
      const lost = await withSink(async (s) => s.missingAuditedRows('run1', resource, await s.readRunAudit('run1', resource.name)));
      assert.deepEqual([lost.missing, lost.first], [1, { key: lostKey, traversal: 'audited', page: 51 }]);
    });
  });
}
