import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from '@jest/globals';
import { parseExportSpec } from '../../src/spec/parse-spec';
import { freePort } from '../helpers/ports';
import { exited } from '../helpers/worker-process';
import { waitFor } from '../helpers/wait';

const ROOT = join(__dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'simulator', 'main.ts');

describe('npm run simulator', () => {
  it('serves the dataset its options describe, and prints the base URLs, the token and a spec for it', async () => {
    const port = await freePort();
    const args = ['--port', String(port), '--users', '1234', '--courses', '7', '--latency', '200', '--token', 'cli-token', '--edfi-version', '7.1.0'];
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(`[simulator] ${chunk.toString()}`));
    try {
      const url = await waitFor('the simulator to print its URL', () => /Ctrl-C stops/.test(stdout) && stdout.match(/^LMS simulator at (http:\/\/\S+)$/m)?.[1], 30_000);
      assert.equal(url, `http://127.0.0.1:${port}`);
      assert.ok(stdout.includes(`${url}/api/v1 `), `the Canvas base URL is printed:\n${stdout}`);
      assert.ok(stdout.includes(`${url}/data/v3 `), `the Ed-Fi base URL is printed:\n${stdout}`);
      assert.match(stdout, /^ {2}export SIM_TOKEN=cli-token$/m);
      // Not the example's port: the example spec is printed with this simulator's base URL, ready to save.
      const printedSpec = stdout.split('\n').find((line) => line.trim().startsWith('{"name"'));
      assert.ok(printedSpec, `a spec is printed:\n${stdout}`);
      assert.equal(parseExportSpec(JSON.parse(printedSpec)).source.baseUrl, `${url}/api/v1`);

      const started = Date.now();
      const page = await fetch(`${url}/api/v1/accounts/1/users?per_page=10`, { headers: { authorization: 'Bearer cli-token' } });
      assert.equal(page.status, 200);
      assert.ok(Date.now() - started >= 200, '--latency 200 delays the answer');
      assert.equal(((await page.json()) as unknown[]).length, 10);
      assert.equal((await fetch(`${url}/api/v1/accounts/1/users`, { headers: { authorization: 'Bearer sim-token' } })).status, 401, '--token replaces the default token');

      // --edfi-version plays an older ODS/API: its version document says so, and it has no key-set paging.
      assert.match(stdout, /Ed-Fi ODS\/API 7\.1\.0; strict/);
      assert.equal(((await (await fetch(`${url}/`)).json()) as { version: string }).version, '7.1');
      assert.equal((await fetch(`${url}/data/v3/ed-fi/students/partitions?number=1`, { headers: { authorization: 'Bearer cli-token' } })).status, 404);

      const users = (await (await fetch(`${url}/_sim/truth/api/v1/accounts/1/users`)).json()) as unknown[];
      const courses = (await (await fetch(`${url}/_sim/truth/api/v1/courses`)).json()) as unknown[];
      assert.equal(users.length, 1234);
      assert.equal(courses.length, 7);
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
    assert.equal(child.exitCode, 0);
  }, 60_000);

  it('refuses an invalid option, naming it', async () => {
    await assert.rejects(promisify(execFile)(process.execPath, ['--import', 'tsx', MAIN, '--latency', 'soon'], { cwd: ROOT }), (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr ?? '', /--latency must be a whole number/);
      return true;
    });
  }, 30_000);

  it('has an example spec that validates and points at the simulator on its default port', () => {
    const spec = parseExportSpec(JSON.parse(readFileSync(join(ROOT, 'examples', 'simulator-canvas.json'), 'utf8')));
    assert.equal(spec.source.baseUrl, 'http://127.0.0.1:4010/api/v1');
    assert.equal(spec.source.auth?.bearerTokenEnv, 'SIM_TOKEN');
  });
});
