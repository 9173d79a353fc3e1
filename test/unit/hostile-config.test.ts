import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { credentialsFor } from '../../src/activities/credentials';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { lostPagesOf } from '../../src/sinks/audited-rows';
import { duckDbFile } from '../../src/sinks/duckdb-path';
import type { AuditRow } from '../../src/sinks/sink';
import { classifyPostgresError } from '../../src/sinks/sink-errors';
import { parseExportSpec } from '../../src/spec/parse-spec';

const source = { preset: 'canvas', baseUrl: 'https://school.example/api/v1', auth: { bearerTokenEnv: 'TOKEN' } };
const resources = [{ name: 'users', path: '/accounts/1/users', primaryKey: ['id'] }];

function audit(traversal: string, ...pages: number[]): AuditRow[] {
  return pages.map((pageNumber) => ({ resource: traversal, pageNumber }) as AuditRow);
}

describe('configuration that can never work is refused up front', () => {
  for (const schema of ['pg_catalog', 'information_schema', 'pg_toast', 'pg_mine']) {
    it(`refuses the PostgreSQL schema ${schema}, naming sink.schema`, () => {
      assert.throws(
        () => parseExportSpec({ name: 'x', source, resources, sink: { kind: 'postgres', url: 'postgres://u@h/db', schema } }),
        /sink\.schema: is reserved by PostgreSQL \(pg_catalog, pg_toast, pg_\*, information_schema\)/,
      );
    });
  }

  it('accepts an ordinary schema', () => {
    assert.equal(parseExportSpec({ name: 'x', source, resources, sink: { kind: 'postgres', url: 'postgres://u@h/db', schema: 'lms' } }).sink.kind, 'postgres');
  });

  it('refuses a header value holding CR/LF, naming the header', () => {
    const spec = { name: 'x', source: { ...source, headers: { Accept: 'application/json', 'X-Tenant': 'a\r\nInjected: yes' } }, resources, sink: { kind: 'duckdb', path: 'x.duckdb' } };
    assert.throws(() => parseExportSpec(spec), /source\.headers\.X-Tenant: header X-Tenant: the value holds a line break or another control character/);
  });

  it('refuses a header name that is not a header name', () => {
    const spec = { name: 'x', source: { ...source, headers: { 'Bad Name:': 'v' } }, resources, sink: { kind: 'duckdb', path: 'x.duckdb' } };
    assert.throws(() => parseExportSpec(spec), /header name "Bad Name:" is not a valid HTTP header name/);
  });

  it('tells a sink that is down from a sink that is misconfigured', () => {
    const fields = { url: 'sink.urlEnv (PG_URL)', schema: 'lms' };
    const down = classifyPostgresError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5999'), { code: 'ECONNREFUSED' }), fields) as { type?: string; nonRetryable?: boolean; message: string };
    assert.deepEqual([down.type, down.nonRetryable, down.message], ['SinkUnavailable', false, 'sink unavailable: connect ECONNREFUSED 127.0.0.1:5999; retrying']);
    const missing = classifyPostgresError(Object.assign(new Error('database "nope" does not exist'), { code: '3D000' }), fields) as { type?: string; nonRetryable?: boolean; message: string };
    assert.deepEqual([missing.type, missing.nonRetryable], ['SinkMisconfigured', true]);
    assert.match(missing.message, /^sink\.urlEnv \(PG_URL\): database "nope" does not exist/);
    const data = Object.assign(new Error('duplicate key'), { code: '23505' });
    assert.equal(classifyPostgresError(data, fields), data, 'an error of the statement passes through');
  });
});

describe('pages gone from a traversal’s audit', () => {
  it('names pages missing before the first and between rows, but not before a second pass', () => {
    assert.deepEqual(lostPagesOf([...audit('users', 4, 5, 7), ...audit('users~reconcile', 9, 10), ...audit('users/p1', 1, 2)]), ['users: pages 1–3, 6']);
    assert.deepEqual(lostPagesOf(audit('users', 2)), ['users: page 1']);
    assert.deepEqual(lostPagesOf(audit('users', 1, 2, 3)), []);
  });
});

describe('a spec holds no secret: it is stored in clear in workflow history', () => {
  const duckdb = { kind: 'duckdb', path: 'x.duckdb' };
  const refused = (spec: Record<string, unknown>, message: RegExp): void => {
    assert.throws(() => parseExportSpec({ name: 'x', source, resources, sink: duckdb, ...spec }), message);
  };

  it('refuses a Postgres URL with a password anywhere, or one no client can read', () => {
    refused({ sink: { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/db?password=hunter2' } }, /sink\.url: holds a password in its query: put the URL in an environment variable and name it in urlEnv/);
    refused({ sink: { kind: 'postgres', url: 'postgres://u:hunter2@h/db' } }, /sink\.url: holds a password: put the URL/);
    refused({ sink: { kind: 'postgres', url: 'postgres://u:pa/ss@h/db' } }, /sink\.url: (holds a password|is not a URL a client can read)/);
    assert.equal(parseExportSpec({ name: 'x', source, resources, sink: { kind: 'postgres', url: 'postgres://u@h:5432/db?sslmode=require' } }).sink.kind, 'postgres');
  });

  it('refuses credentials in the base URL: userinfo or a query credential', () => {
    refused({ source: { ...source, baseUrl: 'http://admin:S3cretPW@sis.example/api' } }, /source\.baseUrl: holds a password \(user:password@\), and a spec is stored in clear/);
    refused({ source: { ...source, baseUrl: 'https://sis.example/api?access_token=abc' } }, /source\.baseUrl: holds a credential in its query \(access_token=\)/);
  });

  it('refuses a credential header, pointing to secretHeaders; reads secretHeaders from the environment', () => {
    refused({ source: { ...source, headers: { Authorization: 'Bearer abc' } } }, /source\.headers\.Authorization: header Authorization carries a credential.*source\.secretHeaders \(\{"Authorization": "ENV_NAME"\}\)/);
    refused({ source: { ...source, headers: { 'X-Api-Key': 'k' } } }, /source\.headers\.X-Api-Key: header X-Api-Key carries a credential/);
    const spec = parseExportSpec({ name: 'x', source: { ...source, headers: { Accept: 'application/json' }, secretHeaders: { 'X-Api-Key': 'SIS_API_KEY' } }, resources, sink: duckdb });
    process.env['SIS_API_KEY'] = 'from-the-environment';
    process.env['TOKEN'] = 'bearer-token';
    try {
      assert.equal(credentialsFor(spec.source).headers['x-api-key'], 'from-the-environment');
    } finally {
      delete process.env['SIS_API_KEY'];
    }
    assert.throws(() => credentialsFor(spec.source), /source\.secretHeaders\.X-Api-Key: environment variable SIS_API_KEY is not set on this worker/);
    delete process.env['TOKEN'];
  });

  it('refuses a credential in a resource query', () => {
    refused({ resources: [{ ...resources[0], query: { access_token: 'abc' } }] }, /resources\[0\]\.query\.access_token: access_token is a credential.*source\.auth\.queryTokenEnv/);
    refused({ resources: [{ ...resources[0], query: { wstoken: 'abc' } }] }, /wstoken is a credential/);
    refused({ resources: [{ ...resources[0], path: '/accounts/1/users?access_token=abc' }] }, /resources\[0\]\.path: holds a credential in its query \(access_token=\).*source\.auth\.queryTokenEnv/);
  });

  it('refuses a password whose unencoded "/" makes a parser read it as a port and a path', () => {
    // new URL() reads postgres://postgres:1234/pw@127.0.0.1/db as host "postgres", port 1234, path "/pw@127.0.0.1/db".
    refused({ sink: { kind: 'postgres', url: 'postgres://postgres:1234/pw@127.0.0.1:5432/db' } }, /sink\.url: holds an "@" after its host, the rest of a password with an unencoded \/, \? or #: put the URL in an environment variable and name it in urlEnv/);
    refused({ sink: { kind: 'postgres', url: 'postgres://postgres:12?pw@127.0.0.1:5432/db' } }, /sink\.url: holds an "@" after its host/);
    refused({ source: { ...source, baseUrl: 'https://admin:1234/pw@sis.example/api' } }, /source\.baseUrl: holds an "@" after its host/);
  });

  it('refuses a header whose value is a credential, whatever the header is called', () => {
    refused({ source: { ...source, headers: { 'X-Upstream': 'Bearer abc' } } }, /source\.headers\.X-Upstream: header X-Upstream carries a credential.*source\.secretHeaders/);
    refused({ source: { ...source, headers: { 'X-Forwarded-For': 'Basic dXNlcjpwdw==' } } }, /source\.headers\.X-Forwarded-For: header X-Forwarded-For carries a credential/);
    assert.equal(parseExportSpec({ name: 'x', source: { ...source, headers: { 'X-Tenant': 'district 7' } }, resources, sink: duckdb }).source.headers?.['X-Tenant'], 'district 7');
  });
});

describe('where a DuckDB file may be', () => {
  it('refuses :memory: and paths that climb out with ..', () => {
    for (const path of [':memory:', '../../tmp/escaped2/trav.duckdb', 'exports/../../x.duckdb']) {
      assert.throws(() => parseExportSpec({ name: 'x', source, resources, sink: { kind: 'duckdb', path } }), /sink\.path: (is an in-memory database|climbs out of its folder)/, path);
    }
  });

  it('refuses database services and remote files: a sink is a file on the worker', () => {
    for (const path of ['md:district', 's3://bucket/x.duckdb', 'https://host/x.duckdb']) {
      assert.throws(() => parseExportSpec({ name: 'x', source, resources, sink: { kind: 'duckdb', path } }), /sink\.path: names a database service or a remote file/, path);
    }
  });

  it('refuses a path that leads out of LMS_EXPORT_DATA_DIR through a symbolic link', () => {
    const base = mkdtempSync(join(tmpdir(), 'lms-data-dir-'));
    const dataDir = join(base, 'data');
    const elsewhere = join(base, 'elsewhere');
    mkdirSync(dataDir);
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(dataDir, 'link'));
    const env = { LMS_EXPORT_DATA_DIR: dataDir };
    try {
      assert.throws(() => duckDbFile('link/escaped/x.duckdb', env), /sink\.path: link\/escaped\/x\.duckdb is outside LMS_EXPORT_DATA_DIR .* \(it leads out through a symbolic link\)/);
      assert.equal(duckDbFile('inside/x.duckdb', env), join(dataDir, 'inside', 'x.duckdb'));
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('keeps files below LMS_EXPORT_DATA_DIR when it is set', () => {
    const env = { LMS_EXPORT_DATA_DIR: '/srv/lms-data' };
    assert.equal(duckDbFile('district/canvas.duckdb', env), '/srv/lms-data/district/canvas.duckdb');
    assert.equal(duckDbFile('/srv/lms-data/a.duckdb', env), '/srv/lms-data/a.duckdb');
    assert.throws(() => duckDbFile('/etc/cron.d/x.duckdb', env), /sink\.path: \/etc\/cron\.d\/x\.duckdb is outside LMS_EXPORT_DATA_DIR \(\/srv\/lms-data\) on this worker/);
    assert.equal(duckDbFile('a.duckdb', {}), resolve('a.duckdb'));
  });
});
