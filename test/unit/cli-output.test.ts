import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from '@jest/globals';
import { isRunOfSpec } from '../../src/cli/resolve-run';
import { backfillPlan } from '../../src/client/schedules';

const LMS_EXPORT = join(__dirname, '..', '..', 'bin', 'lms-export.js');
// Nothing listens here: a command that contacted Temporal would fail differently.
const NO_SERVER = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' };

function lmsExport(args: string[]) {
  return promisify(execFile)(process.execPath, [LMS_EXPORT, ...args], { env: NO_SERVER });
}

describe('the CLI without a server', () => {
  it('prints its version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    assert.equal((await lmsExport(['--version'])).stdout.trim(), version);
  });

  it('start --json prints an invalid spec as JSON, every issue with its path, before contacting anything', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lms-export-cli-')), 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'bad', source: { baseUrl: 'https://lms.example.edu' }, resources: [{ name: 'users', path: '/users' }], sink: { kind: 'duckdb', path: 'x.duckdb' } }));
    await assert.rejects(lmsExport(['start', file, '--json']), (error: { stdout: string; code: number }) => {
      assert.equal(error.code, 2);
      assert.deepEqual(JSON.parse(error.stdout), { error: 'invalid spec', issues: [{ path: 'resources[0].primaryKey', message: 'required' }] });
      return true;
    });
  });

  it('prints other errors as JSON under --json too', async () => {
    await assert.rejects(lmsExport(['start', '/nonexistent/spec.json', '--json']), (error: { stdout: string; code: number }) => {
      assert.equal(error.code, 2);
      assert.match((JSON.parse(error.stdout) as { error: string }).error, /^cannot read spec \/nonexistent\/spec\.json/);
      return true;
    });
  });
});

describe('which workflow ids are runs of a spec', () => {
  it('takes export-<name> and scheduled export-<name>-<time>, not another spec\'s export-<name>-<more>', () => {
    assert.equal(isRunOfSpec('export-a', 'a'), true);
    assert.equal(isRunOfSpec('export-a-2026-05-01T10:00:00Z', 'a'), true);
    assert.equal(isRunOfSpec('export-a-2026-05-01T10:00:00.5+02:00', 'a'), true);
    assert.equal(isRunOfSpec('export-a-b', 'a'), false);
    assert.equal(isRunOfSpec('export-a-b-2026-05-01T10:00:00Z', 'a'), false);
    assert.equal(isRunOfSpec('export-ab', 'a'), false);
  });
});

describe('a schedule backfill says what it will do before it does it', () => {
  const start = new Date('2026-12-01T00:00:00Z');
  const end = new Date('2026-12-01T03:00:00Z');
  it('counts the scheduled times in the window and explains the overlap policy', () => {
    assert.equal(backfillPlan([3_600], start, end, 'SKIP').says, '3 scheduled time(s) from 2026-12-01T00:00:00.000Z to 2026-12-01T03:00:00.000Z; overlap SKIP: one run starts now, and the others are skipped if it is still running when they come due (as a backfill starts them at once, expect one run); --overlap BUFFER_ALL runs them one after another');
    assert.match(backfillPlan([3_600], start, end, 'BUFFER_ALL').says, /overlap BUFFER_ALL: all 3 run, one after another$/);
    assert.equal(backfillPlan([1_800], start, end, 'ALLOW_ALL').times, 6);
  });
});
