import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { exportStatus, startExport, waitForReport } from '../../src/client/exports';
import type { LiveResource } from '../../src/cli/live-progress';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { startHarness, type Harness } from '../helpers/harness';
import { allRunHistories, recordHistoriesIfAsked } from '../helpers/history';
import { TOKEN_ENV } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const TASK_QUEUE = 'watch-progress';
const LMS_EXPORT = join(__dirname, '..', '..', 'bin', 'lms-export.js');
const STUDENTS = 1_500;
const ASSOCIATIONS = 3 * 500;

let harness: Harness;

beforeAll(async () => {
  // Slow pages (the simulator's latency), so a run lasts long enough for several progress polls.
  harness = await startHarness(TASK_QUEUE, { users: STUDENTS, courses: 3, enrollmentsPerCourse: 500, latencyMs: 100 });
});

afterAll(() => harness?.stop());

/** Ed-Fi 7.3: key-set pages carry no total, so the run asks it before the traversal: every bar has one. */
function edfiSpec(name: string): ExportSpecInput {
  return {
    name,
    source: { preset: 'edfi', baseUrl: `${harness.simulator.url}/data/v3`, auth: { bearerTokenEnv: TOKEN_ENV } },
    resources: [
      { name: 'students', path: '/ed-fi/students', primaryKey: ['id'], pageSize: 50 },
      { name: 'associations', path: '/ed-fi/studentSchoolAssociations', primaryKey: ['id'], pageSize: 50 },
      { name: 'students_again', path: '/ed-fi/students', primaryKey: ['id'], pageSize: 100 },
    ],
    sink: { kind: 'postgres', url: harness.db.url, schema: name.replace(/-/g, '_') },
    execution: { maxParallelResources: 3 },
  };
}

function specFile(spec: ExportSpecInput): string {
  const file = join(mkdtempSync(join(tmpdir(), 'lms-watch-')), 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  return file;
}

/** Our CLI as a process, its stdout collected line by line; resolves when it exits. */
function runCli(args: string[]): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LMS_EXPORT, ...args], {
      env: { ...process.env, TEMPORAL_ADDRESS: harness.env.address, LMS_EXPORT_TASK_QUEUE: TASK_QUEUE },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, lines: stdout.split('\n'), stderr }));
  });
}

/** A progress line of a resource part way through its traversal, with its total: `students: traversal, 150/900 records (16%), 3 pages, …`. */
function partWay(lines: string[], resource: string, total: number): string | undefined {
  const pattern = new RegExp(`^  ${resource}: traversal, (\\d+)/${total} records \\(\\d+%\\), \\d+ pages, \\d+ records/s`);
  return lines.find((line) => {
    const done = pattern.exec(line)?.[1];
    return done !== undefined && Number(done) > 0 && Number(done) < total;
  });
}

describe('progress while a run goes', () => {
  it('start --wait on a pipe prints a line per resource with its total every --interval, then the report', async () => {
    const { code, lines, stderr } = await runCli(['start', specFile(edfiSpec('watched-start')), '--wait', '--interval', '0.5']);
    assert.equal(code, 0, stderr);
    assert.ok(partWay(lines, 'students', STUDENTS), `a students line part way, with its total:\n${lines.join('\n')}`);
    assert.ok(partWay(lines, 'associations', ASSOCIATIONS), `an associations line part way, with its total:\n${lines.join('\n')}`);
    assert.ok(lines.some((line) => /^\S+Z export-watched-start: RUNNING, phase traversal$/.test(line)), 'each poll is headed by the run and its phase');
    const reportAt = lines.findIndex((line) => line.startsWith('export watched-start'));
    assert.ok(reportAt > 0, `the report follows the progress lines:\n${lines.join('\n')}`);
    assert.ok(lines.slice(reportAt).join('\n').includes('students'), 'the report names the resources');
  }, TEST_TIMEOUT_MS);

  it('watch attaches to a running export, shows its progress, and ends with its report when it ends', async () => {
    const handle = await startExport(harness.env.client, edfiSpec('watched'), { taskQueue: TASK_QUEUE });
    const { code, lines, stderr } = await runCli(['watch', 'watched', '--interval', '0.5']);
    assert.equal(code, 0, stderr);
    assert.ok(partWay(lines, 'students', STUDENTS), `a students line part way, with its total:\n${lines.join('\n')}`);
    assert.ok(lines.some((line) => line.startsWith('export watched')), `the report at the end:\n${lines.join('\n')}`);
    assert.equal((await waitForReport(handle)).status, 'completed');
    const histories = [];
    for (const id of [handle.workflowId, `${handle.workflowId}-students`]) histories.push(...(await allRunHistories(harness.env.client, id)));
    recordHistoriesIfAsked(histories);
  }, TEST_TIMEOUT_MS);

  it('watch --json streams one object per poll and ends with the report', async () => {
    const handle = await startExport(harness.env.client, edfiSpec('watched-json'), { taskQueue: TASK_QUEUE });
    const { code, lines, stderr } = await runCli(['watch', handle.workflowId, '--json', '--interval', '0.5']);
    assert.equal(code, 0, stderr);
    const objects = lines.filter((line) => line !== '').map((line) => JSON.parse(line) as { kind: string; resources: Array<LiveResource | { resource: string; recordsFetched: number }> });
    const last = objects.at(-1);
    assert.equal(last?.kind, 'report');
    assert.deepEqual(last?.resources.map((r) => [r.resource, 'recordsFetched' in r ? r.recordsFetched : null]), [['students', STUDENTS], ['associations', ASSOCIATIONS], ['students_again', STUDENTS]]);
    const partWayThrough = objects.filter((o) => o.kind === 'progress').flatMap((o) => o.resources as LiveResource[])
      .find((r) => r.resource === 'students' && r.phase === 'traversal' && r.progress?.total === STUDENTS && r.progress.done > 0 && r.progress.done < STUDENTS);
    assert.ok(partWayThrough, 'a poll caught students part way, with its total');
  }, TEST_TIMEOUT_MS);
});

describe('status', () => {
  it("answers from the run's query and one listing, with every running resource's figures", async () => {
    const handle = await startExport(harness.env.client, edfiSpec('status-at-once'), { taskQueue: TASK_QUEUE });
    const status = await waitFor('every resource part way through its traversal', async () => {
      const s = await exportStatus(harness.env.client, handle.workflowId);
      return s.resources.every((r) => r.phase === 'traversal' && (r.records ?? 0) > 0 && (r.pages ?? 0) > 0) ? s : undefined;
    });
    assert.deepEqual(status.resources.map((r) => [r.resource, r.progress?.total, r.progress?.unit]), [['students', STUDENTS, 'records'], ['associations', ASSOCIATIONS, 'records'], ['students_again', STUDENTS, 'records']]);
    const timings: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      await exportStatus(harness.env.client, handle.workflowId);
      timings.push(performance.now() - started);
    }
    timings.sort((a, b) => a - b);
    console.log(`status of a run of 3 resources: median ${timings[5]?.toFixed(0)} ms, worst ${timings[9]?.toFixed(0)} ms`);
    assert.equal((await waitForReport(handle)).status, 'completed');
  }, TEST_TIMEOUT_MS);
});
