/**
 * What a page costs in each sink. Per sink and page size, rows/s of:
 *   page    the whole of it: stagePage + persistPage (keying, hashing, shape, merge, audit row, hash chain);
 *   merge   the set-based upsert alone (bulk load into a scratch table, count by hash, one INSERT … SELECT);
 *   INSERT  the same rows as plain multi-row INSERT … ON CONFLICT statements, 200 rows each (bound parameters).
 * Each is timed over new keys (a first run) and over the same keys again (a second run: unchanged rows).
 * Figures from one run; the machine's other load shows in them.
 *
 *   npm run bench:sink          (PostgreSQL at BENCH_PG, else postgres://postgres@127.0.0.1:5432/postgres)
 */
import { rmSync } from 'node:fs';
import { Dataset } from '../src/simulator/dataset';
import { DuckDbDriver } from '../src/sinks/duckdb';
import { keyPage, type KeyedRow } from '../src/sinks/page-rows';
import { PostgresDriver } from '../src/sinks/postgres';
import { mergeRows } from '../src/sinks/row-merge';
import { quoteIdent, type SqlDriver, type SqlValue } from '../src/sinks/sql-driver';
import { SqlSink } from '../src/sinks/sql-sink';
import { targetRatio, writeBenchResult } from './bench-result';
import { adminQuery, databaseUrl } from './admin-query';
import { runBench } from './run-bench';

const ROWS = Number(process.env['BENCH_SINK_ROWS'] ?? 20_000);
const PAGE_SIZES = [100, 500];
const ROWS_PER_STATEMENT = 200;

type Pass = 'first run' | 'second run';
interface Measure {
  sink: string;
  pageSize: number;
  pass: Pass;
  page: number;
  merge: number;
  insert: number;
}

const records = new Dataset({ seed: 7, users: ROWS, courses: 0, enrollmentsPerCourse: 0, submissionsPerCourse: 0, records: 0 }).rows.get('users') ?? [];

function pagesOf<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

async function rowsPerSecond(pages: number, rowsPerPage: number, work: (page: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let page = 0; page < pages; page++) await work(page);
  return (pages * rowsPerPage) / ((performance.now() - started) / 1000);
}

function createTable(db: SqlDriver, name: string): Promise<unknown> {
  return db.transaction((tx) =>
    tx.query(`CREATE TABLE ${db.table(name)} (_key VARCHAR PRIMARY KEY, "id" VARCHAR NOT NULL, _record ${db.jsonType} NOT NULL, _hash VARCHAR NOT NULL,
      _first_run VARCHAR NOT NULL, _last_run VARCHAR NOT NULL, _page_sha256 VARCHAR NOT NULL, _synced_at TIMESTAMP NOT NULL, _deleted_at TIMESTAMP)`),
  );
}

/** The upsert as bound multi-row INSERT statements: what the set-based merge replaced. */
function multiRowInsert(db: SqlDriver, table: string, runId: string, sha: string, rows: KeyedRow[]): Promise<unknown> {
  return db.transaction(async (tx) => {
    for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
      const params: SqlValue[] = [];
      const tuples = chunk.map((row, i) => {
        params.push(row.key, ...row.keyValues, row.recordJson, row.hash, runId, sha);
        const p = (n: number): string => `$${i * 6 + n}`;
        return `(${p(1)}, ${p(2)}, ${db.jsonParam(p(3))}, ${p(4)}, ${p(5)}, ${p(5)}, ${p(6)}, CURRENT_TIMESTAMP)`;
      });
      await tx.query(
        `INSERT INTO ${db.table(table)} (_key, ${quoteIdent('id')}, _record, _hash, _first_run, _last_run, _page_sha256, _synced_at) VALUES ${tuples.join(', ')}
         ON CONFLICT (_key) DO UPDATE SET _record = excluded._record, _hash = excluded._hash, _last_run = excluded._last_run,
           _page_sha256 = excluded._page_sha256, _synced_at = excluded._synced_at, _deleted_at = NULL`,
        params,
      );
    }
  });
}

async function measureSink(name: string, db: SqlDriver): Promise<Measure[]> {
  const sink = new SqlSink(db);
  const measures: Measure[] = [];
  try {
    for (const pageSize of PAGE_SIZES) {
      const pages = pagesOf(records, pageSize);
      const keyed = pages.map((page) => keyPage(page, ['id'], undefined, { jsonb: db.dialect === 'postgres' }).rows);
      const table = (what: string): string => `bench_${what}_${pageSize}`;
      await createTable(db, table('merge'));
      await createTable(db, table('insert'));
      for (const pass of ['first run', 'second run'] as Pass[]) {
        const runId = `${pass === 'first run' ? 'run1' : 'run2'}`;
        const page = await rowsPerSecond(pages.length, pageSize, async (i) => {
          const ref = `${runId}/${pageSize}/${i}`;
          await sink.stagePage({ ref, runId, resource: table('page'), pageNumber: i + 1, recordsJson: JSON.stringify(pages[i]) });
          await sink.persistPage({ ref, runId, resource: { name: table('page'), primaryKey: ['id'] }, traversal: table('page'), pageNumber: i + 1, cursorBefore: null, cursorAfter: null, sha256: `${ref}-sha` });
        });
        const merge = await rowsPerSecond(pages.length, pageSize, (i) =>
          db.transaction((tx) => mergeRows(db, tx, { table: table('merge'), primaryKey: ['id'], runId, pageSha256: `${runId}-${i}` }, keyed[i] ?? [])),
        );
        const insert = await rowsPerSecond(pages.length, pageSize, (i) => multiRowInsert(db, table('insert'), runId, `${runId}-${i}`, keyed[i] ?? []));
        measures.push({ sink: name, pageSize, pass, page, merge, insert });
      }
    }
  } finally {
    await sink.close();
  }
  return measures;
}

async function main(): Promise<void> {
  const database = `lms_export_bench_sink_${process.pid}`;
  const duckPath = `.tmp/bench-sink-${process.pid}.duckdb`;
  rmSync(duckPath, { force: true });
  await adminQuery(`CREATE DATABASE ${database}`);
  const measures: Measure[] = [];
  try {
    const pgUrl = databaseUrl(database);
    measures.push(...(await measureSink('postgres', await PostgresDriver.open(pgUrl))));
    measures.push(...(await measureSink('duckdb', await DuckDbDriver.open(duckPath))));
  } finally {
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    rmSync(duckPath, { force: true });
  }
  const n = (x: number): string => x.toFixed(0).padStart(7);
  console.log(`${ROWS} rows per page size (Canvas-shaped users), rows/s`);
  console.log('sink     | page | pass       |    page |   merge |  INSERT | merge/INSERT');
  for (const m of measures) {
    console.log(`${m.sink.padEnd(8)} | ${String(m.pageSize).padStart(4)} | ${m.pass} | ${n(m.page)} | ${n(m.merge)} | ${n(m.insert)} | ${(m.merge / m.insert).toFixed(1).padStart(5)}`);
  }
  writeResult(measures);
}

/** Rows/s that a page of this size should reach. */
const TARGET_PAGE_SIZE = 500;
const TARGET_ROWS_PER_SECOND = 20_000;
const SINK_NAMES: Record<string, string> = { postgres: 'PostgreSQL', duckdb: 'DuckDB' };

function writeResult(measures: Measure[]): void {
  const sinkName = (m: Measure): string => SINK_NAMES[m.sink] ?? m.sink;
  writeBenchResult({
    bench: 'sink',
    command: 'npm run bench:sink',
    setup: `${ROWS} Canvas-shaped users per page size, rows/s; page = stagePage + persistPage, merge = the set-based upsert alone, INSERT = bound multi-row INSERT … ON CONFLICT of ${ROWS_PER_STATEMENT} rows`,
    settings: { BENCH_SINK_ROWS: ROWS, pageSizes: PAGE_SIZES.join(','), rowsPerStatement: ROWS_PER_STATEMENT },
    scenarios: {
      columns: [
        { key: 'sink', label: 'sink' },
        { key: 'pageSize', label: 'page size' },
        { key: 'pass', label: 'pass' },
        { key: 'page', label: 'page' },
        { key: 'merge', label: 'merge' },
        { key: 'insert', label: 'INSERT' },
        { key: 'mergeOverInsert', label: 'merge / INSERT', digits: 1 },
      ],
      rows: measures.map((m) => ({ sink: sinkName(m), case: `${m.pageSize} a page, ${m.pass}`, pageSize: m.pageSize, pass: m.pass, page: m.page, merge: m.merge, insert: m.insert, mergeOverInsert: m.merge / m.insert })),
    },
    ratios: measures
      .filter((m) => m.pageSize === TARGET_PAGE_SIZE)
      .flatMap((m) => (['page', 'merge'] as const).map((what) => targetRatio(`${sinkName(m)} ${what} rows/s at ${m.pageSize} a page, ${m.pass}`, m[what], { op: '≥', value: TARGET_ROWS_PER_SECOND }))),
    details: [],
    chart: { title: `Sink: rows/s by sink and page size (${ROWS} rows)`, panels: [{ title: 'rows per second', unit: 'rows/s', x: 'case', y: ['page', 'merge', 'insert'], facet: 'sink' }] },
  });
}

runBench(main);
