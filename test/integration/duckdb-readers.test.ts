import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { DuckDBInstance } from '@duckdb/node-api';
import { startExport, waitForReport } from '../../src/client/exports';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { startHarness, type Harness } from '../helpers/harness';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';
import { exited } from '../helpers/worker-process';

const TASK_QUEUE = 'duckdb-readers-test';
const USERS = 300;
const ROOT = join(__dirname, '..', '..');
const LMS_EXPORT = join(ROOT, 'bin', 'lms-export.js');
/** An idle worker lets go within its default 3 s; the CLI waits a little longer: well inside this. */
const READ_DEADLINE_MS = 20_000;

let harness: Harness;
let dir: string;
let runs = 0;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: USERS });
  dir = mkdtempSync(join(tmpdir(), 'lms-duckdb-readers-'));
});

afterAll(async () => {
  await harness?.stop();
});

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `lms-export …` as its own OS process: only another process sees DuckDB's file lock. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [LMS_EXPORT, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function specFile(spec: ExportSpecInput): string {
  const file = join(dir, `${spec.name}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

async function exportOnce(spec: ExportSpecInput): Promise<void> {
  runs += 1;
  const report = await waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE, workflowId: `duckdb-readers-${runs}` }));
  assert.equal(report.status, 'completed');
}

/** Another process that opens the DuckDB file and keeps it until killed. */
async function holdFile(path: string): Promise<ChildProcess> {
  const script = `const { DuckDBInstance } = require('@duckdb/node-api');
    DuckDBInstance.create(${JSON.stringify(path)}).then(() => { console.log('held'); setInterval(() => undefined, 1000); });`;
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve());
    child.once('exit', (code) => reject(new Error(`the holding process exited (${code}) before it held ${path}`)));
  });
  return child;
}

describe('reading a DuckDB sink while workers run', () => {
  it('dump and export-file succeed against the file an idle worker just exported into, and the worker opens it again for the next run', async () => {
    const spec = simulatorSpec('readers-idle', harness.simulator.url, { kind: 'duckdb', path: join(dir, 'idle.duckdb') });
    const file = specFile(spec);
    await exportOnce(spec);

    const dumped = await cli(['dump', file, 'users']);
    assert.equal(dumped.code, 0, dumped.stderr);
    assert.ok(dumped.ms < READ_DEADLINE_MS, `dump took ${dumped.ms} ms`);
    const lines = dumped.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, USERS);
    assert.equal(new Set(lines.map((r) => r['id'])).size, USERS);

    const out = join(dir, 'idle.parquet');
    const written = await cli(['export-file', file, 'users', '--format', 'parquet', '--out', out]);
    assert.equal(written.code, 0, written.stderr);
    assert.ok(written.ms < READ_DEADLINE_MS, `export-file took ${written.ms} ms`);
    assert.match(written.stdout, new RegExp(`wrote ${USERS} rows of users`));
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const [counted] = (await connection.runAndReadAll(`SELECT count(DISTINCT id) AS ids FROM read_parquet('${out}')`)).getRowObjectsJS();
    connection.closeSync();
    instance.closeSync();
    assert.equal(Number(counted?.['ids']), USERS);

    // The worker let go of the file for the readers; the next run's activities open it again.
    harness.simulator.data.delete('users', 1);
    await exportOnce(spec);
    const again = await cli(['dump', file, 'users']);
    assert.equal(again.code, 0, again.stderr);
    const second = again.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(second.filter((r) => r['_last_run'] === second.find((s) => s['id'] === 2)?.['_last_run']).length, USERS - 1);
  }, TEST_TIMEOUT_MS);

  it('names the process that holds the file, and what to do', async () => {
    const path = join(dir, 'held.duckdb');
    const file = specFile(simulatorSpec('readers-held', harness.simulator.url, { kind: 'duckdb', path }));
    const holder = await holdFile(path);
    try {
      // No idle release to wait for: the reader waits 2 s for the holder to let go, then gives up.
      const refused = await cli(['dump', file, 'users'], { LMS_EXPORT_DUCKDB_IDLE_RELEASE_MS: '0' });
      assert.equal(refused.code, 2);
      assert.equal(
        refused.stderr.trim(),
        `lms-export: sink ${path} is in use by process ${holder.pid} (a running worker?): stop it or wait for it to go idle, then retry`,
      );
    } finally {
      holder.kill();
      await exited(holder);
    }
    // Once the holder is gone, the same command reads (nothing was exported into this file).
    const free = await cli(['dump', file, 'users']);
    assert.equal(free.stderr.trim(), 'lms-export: no rows stored for resource users yet (run an export first)');
  }, TEST_TIMEOUT_MS);

  it('says no rows are stored yet for a resource never exported, in DuckDB and PostgreSQL, for dump and export-file', async () => {
    const sinks: ExportSpecInput['sink'][] = [
      { kind: 'duckdb', path: join(dir, 'never.duckdb') },
      { kind: 'postgres', url: harness.db.url, schema: 'never_exported' },
    ];
    for (const sink of sinks) {
      const file = specFile(simulatorSpec(`never-${sink.kind}`, harness.simulator.url, sink));
      for (const args of [['dump', file, 'users'], ['export-file', file, 'users', '--format', 'csv', '--out', join(dir, `never-${sink.kind}.csv`)]]) {
        const result = await cli(args);
        assert.equal(result.code, 2, `${sink.kind} ${args[0]}`);
        assert.equal(result.stderr.trim(), 'lms-export: no rows stored for resource users yet (run an export first)', `${sink.kind} ${args[0]}`);
      }
    }
  }, TEST_TIMEOUT_MS);
});
