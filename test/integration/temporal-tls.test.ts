import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { lmsExport } from '../helpers/cli';
import { withSimulator } from '../helpers/simulator';
import { simulatorSpec, TOKEN_ENV } from '../helpers/specs';
import { startTemporal, TEST_TIMEOUT_MS } from '../helpers/temporal';
import { generateCertificates, startTlsProxy, type TestCertificates, type TlsProxy } from '../helpers/tls-proxy';
import { waitFor } from '../helpers/wait';
import { exited, printedBy, spawnWorkerProcess } from '../helpers/worker-process';

const TASK_QUEUE = 'tls-test';

let env: TestWorkflowEnvironment;
let certs: TestCertificates;
let proxy: TlsProxy;

beforeAll(async () => {
  certs = generateCertificates();
  env = await startTemporal();
  proxy = await startTlsProxy(env.address, certs);
});

afterAll(async () => {
  await proxy?.close();
  await env?.teardown();
});

/** What a deployment behind mTLS sets: the variables the Temporal CLI reads too. */
function tlsEnv(): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: proxy.address,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caPath,
    TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCertPath,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKeyPath,
    LMS_EXPORT_TASK_QUEUE: TASK_QUEUE,
  };
}

describe('connections to Temporal over TLS', () => {
  it('runs an export with the worker and the CLI connected through a TLS proxy with client certificates', async () => {
    await withSimulator({ users: 300 }, async (simulator) => {
      const worker = spawnWorkerProcess({ ...tlsEnv(), [TOKEN_ENV]: simulator.token });
      const printed = printedBy(worker);
      try {
        await waitFor('the worker to poll over TLS', async () => printed().includes(`polling task queue "${TASK_QUEUE}" on ${proxy.address}`), 60_000);
        const specFile = join(mkdtempSync(join(tmpdir(), 'lms-tls-spec-')), 'spec.json');
        writeFileSync(specFile, JSON.stringify(simulatorSpec('over-tls', simulator.url, { kind: 'duckdb', path: `.tmp/tls-${process.pid}.duckdb` })));
        const before = proxy.authorizedConnections;
        const { stdout } = await lmsExport(['start', specFile, '--wait', '--json'], { address: proxy.address, env: tlsEnv() });
        const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { status: string; resources: Array<{ recordsFetched: number }> };
        assert.equal(report.status, 'completed');
        assert.equal(report.resources[0]?.recordsFetched, 300);
        assert.ok(proxy.authorizedConnections > before, 'the CLI came through the proxy, with its client certificate');
        assert.equal(proxy.refusedConnections, 0);
      } finally {
        worker.kill('SIGTERM');
        await exited(worker);
      }
    });
  }, TEST_TIMEOUT_MS);

  it('fails at once, naming the variable, when a TLS file cannot be read', async () => {
    const missing = join(tmpdir(), `lms-no-such-ca-${process.pid}.pem`);
    await assert.rejects(lmsExport(['status', 'export-x'], { address: proxy.address, env: { ...tlsEnv(), TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing } }), (error: Error & { stderr: string }) => {
      assert.match(error.stderr, new RegExp(`TEMPORAL_TLS_SERVER_CA_CERT_PATH=${missing.replace(/[.]/g, '\\.')} cannot be read \\(no such file\\)`));
      return true;
    });
  }, TEST_TIMEOUT_MS);
});
