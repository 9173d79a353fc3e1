import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { lmsExport } from '../helpers/cli';
import { startHarness, type Harness } from '../helpers/harness';
import { simulatorSpec } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

/**
 * A spec is stored in clear in workflow history (every run's input, every child's): one that carries a secret is
 * refused by `lms-export start` before anything is sent, naming the field and where the secret belongs instead;
 * and a worker keeps DuckDB files inside its data folder whatever a spec asks.
 */

const TASK_QUEUE = 'spec-secrets-test';
const PG_URL_ENV = 'SPEC_SECRETS_TEST_PG_URL';

let harness: Harness;
let dir: string;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 120 });
  dir = mkdtempSync(join(tmpdir(), 'lms-spec-secrets-'));
});

afterAll(() => harness?.stop());

function usersSpec(name: string, overrides: Partial<ExportSpecInput> = {}): ExportSpecInput {
  return simulatorSpec(name, harness.simulator.url, { kind: 'postgres', url: harness.db.url, schema: name.replace(/-/g, '_') }, overrides);
}

async function workflowsNamed(name: string): Promise<number> {
  let count = 0;
  for await (const _ of harness.env.client.workflow.list({ query: `WorkflowId STARTS_WITH 'export-${name}'` })) count += 1;
  return count;
}

/** `lms-export start` on the spec: refused with exit code 2 and this message, the secret (if any) never printed, nothing sent or started. */
async function refusedByCli(spec: ExportSpecInput, message: RegExp, secret?: string): Promise<void> {
  const file = join(dir, `${spec.name}.json`);
  writeFileSync(file, JSON.stringify(spec));
  const requestsBefore = harness.simulator.stats.pageRequests;
  await assert.rejects(lmsExport(['start', file], { address: harness.env.address, taskQueue: TASK_QUEUE }), (error: { stderr: string; stdout: string; code: number }) => {
    assert.equal(error.code, 2, error.stderr);
    assert.match(error.stderr, message);
    if (secret !== undefined) assert.ok(!`${error.stderr}${error.stdout}`.includes(secret), `the secret "${secret}" is printed`);
    return true;
  });
  assert.equal(harness.simulator.stats.pageRequests, requestsBefore, 'no request reached the source');
  assert.equal(await workflowsNamed(spec.name), 0, 'no workflow was started, so no history holds the spec');
}

describe('a spec that carries a secret', () => {
  it('is refused when its Postgres URL holds a password, in the query, in userinfo, or with an unencoded "/"', async () => {
    const sink = (url: string): Partial<ExportSpecInput> => ({ sink: { kind: 'postgres', url, schema: 'x' } });
    await refusedByCli(usersSpec('pg-query', sink('postgres://postgres@127.0.0.1:5432/db?password=hunter2')), /sink\.url: holds a password in its query: put the URL in an environment variable and name it in urlEnv/, 'hunter2');
    await refusedByCli(usersSpec('pg-userinfo', sink('postgres://postgres:hunter2@127.0.0.1:5432/db')), /sink\.url: holds a password: put the URL in an environment variable and name it in urlEnv/, 'hunter2');
    await refusedByCli(usersSpec('pg-slash', sink('postgres://postgres:hun/ter2@127.0.0.1:5432/db')), /sink\.url: is not a URL a client can read \(a password with \/, @ or # must be percent-encoded\): put the URL in an environment variable and name it in urlEnv/, 'hun/ter2');
    await refusedByCli(usersSpec('pg-port', sink('postgres://postgres:5432/hunter2@127.0.0.1:5432/db')), /sink\.url: holds an "@" after its host, the rest of a password with an unencoded \/, \? or #: put the URL in an environment variable and name it in urlEnv/, 'hunter2');
  }, TEST_TIMEOUT_MS);

  it('is refused when the source carries a credential inline: a header, the base URL, a query parameter', async () => {
    const source = (extra: Record<string, unknown>): Partial<ExportSpecInput> => ({ source: { preset: 'canvas', baseUrl: `${harness.simulator.url}/api/v1`, ...extra } as ExportSpecInput['source'] });
    await refusedByCli(usersSpec('inline-header', source({ headers: { Authorization: 'Bearer S3cretT0ken' } })), /source\.headers\.Authorization: header Authorization carries a credential.*source\.secretHeaders/, 'S3cretT0ken');
    await refusedByCli(usersSpec('inline-header-value', source({ auth: { bearerTokenEnv: 'X' }, headers: { 'X-Upstream': 'Bearer S3cretT0ken' } })), /source\.headers\.X-Upstream: header X-Upstream carries a credential/, 'S3cretT0ken');
    const userinfo = `${harness.simulator.url.replace('http://', 'http://admin:S3cretPW@')}/api/v1`;
    await refusedByCli(usersSpec('inline-userinfo', source({ baseUrl: userinfo, auth: { bearerTokenEnv: 'X' } })), /source\.baseUrl: holds a password \(user:password@\).*environment variable/, 'S3cretPW');
    await refusedByCli(usersSpec('inline-base-query', source({ baseUrl: `${harness.simulator.url}/api/v1?access_token=S3cretT0ken`, auth: { bearerTokenEnv: 'X' } })), /source\.baseUrl: holds a credential in its query \(access_token=\)/, 'S3cretT0ken');
    const query = { resources: [{ name: 'users', path: '/accounts/1/users', primaryKey: ['id'], query: { access_token: 'S3cretT0ken' } }] };
    await refusedByCli(usersSpec('inline-query', query), /resources\[0\]\.query\.access_token: access_token is a credential.*source\.auth\.queryTokenEnv/, 'S3cretT0ken');
    const inPath = { resources: [{ name: 'users', path: '/accounts/1/users?access_token=S3cretT0ken', primaryKey: ['id'] }] };
    await refusedByCli(usersSpec('inline-path', inPath), /resources\[0\]\.path: holds a credential in its query \(access_token=\)/, 'S3cretT0ken');
  }, TEST_TIMEOUT_MS);

  it('is refused when its DuckDB file climbs out with "..", is :memory: or a database service', async () => {
    await refusedByCli(usersSpec('duck-climb', { sink: { kind: 'duckdb', path: '../../tmp/escaped2/trav.duckdb' } }), /sink\.path: climbs out of its folder with "\.\."/);
    await refusedByCli(usersSpec('duck-memory', { sink: { kind: 'duckdb', path: ':memory:' } }), /sink\.path: is an in-memory database, whose rows are gone when the worker lets go of it: name a file/);
    await refusedByCli(usersSpec('duck-service', { sink: { kind: 'duckdb', path: 'md:district' } }), /sink\.path: names a database service or a remote file/);
  }, TEST_TIMEOUT_MS);
});

describe('what a worker does with a sink the spec cannot judge', () => {
  it('fails the run naming sink.urlEnv, never its value, when the variable holds a URL no client reads as meant', async () => {
    process.env[PG_URL_ENV] = 'postgres://postgres:hun/ter2@127.0.0.1:5432/postgres';
    try {
      const requestsBefore = harness.simulator.stats.pageRequests;
      const report = await waitForReport(await startExport(harness.env.client, usersSpec('pg-env', { sink: { kind: 'postgres', urlEnv: PG_URL_ENV, schema: 'env_url' } }), { taskQueue: TASK_QUEUE }));
      assert.equal(report.status, 'failed');
      const error = report.resources[0]?.error ?? '';
      assert.match(error, new RegExp(`sink\\.urlEnv: environment variable ${PG_URL_ENV} holds a URL no client can read as meant: percent-encode`));
      assert.ok(!error.includes('ter2') && !error.includes('Invalid URL'), error);
      assert.equal(harness.simulator.stats.pageRequests, requestsBefore, 'no request reached the source');
    } finally {
      delete process.env[PG_URL_ENV];
    }
  }, TEST_TIMEOUT_MS);

  it('keeps DuckDB files inside LMS_EXPORT_DATA_DIR: a path outside fails the run and creates nothing', async () => {
    const dataDir = join(dir, 'data');
    const elsewhere = join(dir, 'elsewhere', 'escaped2');
    mkdirSync(dataDir);
    process.env['LMS_EXPORT_DATA_DIR'] = dataDir;
    try {
      const requestsBefore = harness.simulator.stats.pageRequests;
      const outside = await waitForReport(await startExport(harness.env.client, usersSpec('duck-outside', { sink: { kind: 'duckdb', path: join(elsewhere, 'trav.duckdb') } }), { taskQueue: TASK_QUEUE }));
      assert.equal(outside.status, 'failed');
      assert.match(outside.resources[0]?.error ?? '', /sink\.path: \S+trav\.duckdb is outside LMS_EXPORT_DATA_DIR \(\S+data\) on this worker: give a path relative to it/);
      assert.ok(!existsSync(join(dir, 'elsewhere')), 'no folder was made outside the data folder');
      assert.equal(harness.simulator.stats.pageRequests, requestsBefore, 'no request reached the source');

      const inside = await waitForReport(await startExport(harness.env.client, usersSpec('duck-inside', { sink: { kind: 'duckdb', path: 'district/canvas.duckdb' } }), { taskQueue: TASK_QUEUE }));
      assert.equal(inside.status, 'completed', JSON.stringify(inside.resources.map((r) => r.error)));
      assert.ok(existsSync(join(dataDir, 'district', 'canvas.duckdb')), 'a relative path lives below the data folder');
    } finally {
      delete process.env['LMS_EXPORT_DATA_DIR'];
    }
  }, TEST_TIMEOUT_MS);
});
