import { mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SingleBar } from 'cli-progress';
import { LmsSimulator } from '../simulator/server';
import type { ExportSpecInput } from '../spec/export-spec';
import { findTemporalCli } from './dev-server';
import { exportStatus, startExport, waitForReport } from './exports';
import { formatReport } from './format-report';
import { temporalAddress, temporalNamespace } from './settings';
import { createExportWorker } from './worker';

/**
 * `npm run demo`: the whole product on embedded defaults. Uses the Temporal server at TEMPORAL_ADDRESS when one
 * answers, else starts a local dev server with its Web UI; runs the LMS simulator and a worker in this process;
 * exports Canvas-style users, courses and enrollments plus a generic cursor API into ./data/demo.duckdb; prints
 * the report and the Web UI link; then stops everything it started (`--keep` leaves it up until Ctrl-C).
 */

const TOKEN_ENV = 'LMS_DEMO_TOKEN';
const UI_PORT = 8233;
const SPEC_FILE = 'data/demo-spec.json';

function listening(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = createConnection({ host: host ?? 'localhost', port: Number(port ?? 7233), timeout: 1_000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

export function demoSpec(simulatorUrl: string): ExportSpecInput {
  return {
    name: 'demo',
    source: { preset: 'canvas', baseUrl: `${simulatorUrl}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV } },
    resources: [
      { name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 100 },
      { name: 'courses', path: '/courses', primaryKey: ['id'], pageSize: 50 },
      { name: 'enrollments', path: '/courses/1/enrollments', primaryKey: ['id'], pageSize: 100 },
      { name: 'submissions', path: '/courses/1/students/submissions', primaryKey: ['id'], pageSize: 100, query: { 'student_ids[]': ['all'] } },
    ],
    sink: { kind: 'duckdb', path: './data/demo.duckdb' },
  };
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const keep = process.argv.includes('--keep');
  const stops: Array<() => Promise<void>> = [];
  try {
    let address = temporalAddress();
    let uiUrl = process.env['TEMPORAL_UI_URL'] ?? `http://localhost:${UI_PORT}`;
    if (!(await listening(address))) {
      const cli = findTemporalCli();
      console.log(`No Temporal server at ${address}; starting a local dev server (${cli ?? "the SDK's download"}) ...`);
      const env = await TestWorkflowEnvironment.createLocal({
        server: { executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' }, ip: '127.0.0.1', ui: true, uiPort: UI_PORT },
      });
      stops.push(() => env.teardown());
      address = env.address;
      uiUrl = `http://127.0.0.1:${UI_PORT}`;
    }

    const simulator = new LmsSimulator({ users: 5_000, courses: 40, enrollmentsPerCourse: 400, submissionsPerCourse: 600 });
    const simulatorUrl = await simulator.start();
    stops.push(() => simulator.stop());
    process.env[TOKEN_ENV] = simulator.token;
    console.log(`LMS simulator at ${simulatorUrl}`);

    const nativeConnection = await NativeConnection.connect({ address });
    stops.push(() => nativeConnection.close());
    const exportWorker = await createExportWorker({ connection: nativeConnection });
    const running = exportWorker.run();
    stops.push(async () => (exportWorker.shutdown(), await running));

    const connection = await Connection.connect({ address });
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: temporalNamespace() });
    const spec = demoSpec(simulatorUrl);
    mkdirSync(dirname(SPEC_FILE), { recursive: true });
    writeFileSync(SPEC_FILE, `${JSON.stringify(spec, null, 2)}\n`);
    const handle = await startExport(client, spec, { workflowId: `export-demo-${Date.now()}` });
    console.log(`Started ${handle.workflowId}; Web UI: ${uiUrl}/namespaces/${temporalNamespace()}/workflows/${handle.workflowId}`);

    const total = spec.resources.reduce((sum, r) => sum + simulator.truth(`/api/v1${r.path}`).length, 0);
    const bar = new SingleBar({ format: 'exporting [{bar}] {value}/{total} records | {eta_formatted} left' });
    bar.start(total, 0);
    const started = Date.now();
    const poll = setInterval(() => {
      exportStatus(client, handle.workflowId)
        .then((s) => bar.update(s.run.resources.reduce((n, r) => n + (r.records ?? s.resources[r.resource]?.records ?? 0), 0)))
        .catch(() => undefined);
    }, 250);
    let completed: Awaited<ReturnType<typeof waitForReport>>;
    try {
      completed = await waitForReport(handle);
    } finally {
      clearInterval(poll);
    }
    bar.update(completed.resources.reduce((n, r) => n + r.recordsFetched, 0));
    bar.stop();
    const seconds = (Date.now() - started) / 1000;
    const records = completed.resources.reduce((n, r) => n + r.recordsFetched, 0);
    console.log(`\n${formatReport(completed)}`);
    console.log(`\n${records} records in ${seconds.toFixed(1)} s (${Math.round(records / seconds)} records/s) into ./data/demo.duckdb`);
    console.log(`Web UI: ${uiUrl}/namespaces/${temporalNamespace()}/workflows/${handle.workflowId}`);
    console.log(`Stored rows: npx lms-export dump ${SPEC_FILE} users`);
    if (keep) {
      console.log('--keep: everything stays up until Ctrl-C');
      await new Promise((resolve) => process.once('SIGINT', resolve));
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

main().catch((error) => {
    console.error(`demo failed: ${(error as Error).message}`);
    process.exitCode = 1;
  });
