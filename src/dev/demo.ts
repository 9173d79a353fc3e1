import { mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import { dataConverterOption } from '../codec/data-converter';
import { LmsSimulator } from '../simulator/server';
import type { ExportSpecInput } from '../spec/export-spec';
import { startLocalTemporal } from './dev-server';
import { exportStatus, startExport, waitForReport } from '../client/exports';
import { formatReport } from '../cli/format-report';
import { installRuntime } from '../worker/runtime-telemetry';
import { logLevel, TASK_QUEUE, temporalNamespace, temporalUiUrl, workflowPageUrl } from '../client/settings';
import { temporalConnectionOptions, type TemporalConnectionOptions } from '../client/temporal-connection';
import { createExportWorker } from '../worker/worker';

/**
 * `npm run demo`: the whole product on embedded defaults. Uses the Temporal server at TEMPORAL_ADDRESS when one
 * answers, else starts a local dev server with its Web UI (dev-server.ts says where its CLI comes from); runs the
 * LMS simulator and a worker in this process, on a task queue of its own so that workers already polling
 * `lms-export` (without the demo's token) never take its tasks; exports Canvas-style users, courses, enrollments
 * and submissions into <data-dir>/demo.duckdb; prints the report and the Web UI link; then stops everything it
 * started (`--keep` leaves it up until Ctrl-C).
 */

const TOKEN_ENV = 'LMS_DEMO_TOKEN';
const DEFAULT_UI_PORT = 8233;
const DEMO_USERS = 5_000;

function listening(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = createConnection({ host: host ?? 'localhost', port: Number(port ?? 7233), timeout: 1_000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

export function demoSpec(simulatorUrl: string, duckdbFile = './data/demo.duckdb'): ExportSpecInput {
  return {
    name: 'demo',
    source: { preset: 'canvas', baseUrl: `${simulatorUrl}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV } },
    resources: [
      { name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 100 },
      { name: 'courses', path: '/courses', primaryKey: ['id'], pageSize: 50 },
      { name: 'enrollments', path: '/courses/1/enrollments', primaryKey: ['id'], pageSize: 100 },
      { name: 'submissions', path: '/courses/1/students/submissions', primaryKey: ['id'], pageSize: 100, query: { 'student_ids[]': ['all'] } },
    ],
    sink: { kind: 'duckdb', path: duckdbFile },
  };
}

function wholeNumber(option: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError(`${option} must be a whole number ≥ 1, got "${value}"`);
  return number;
}

interface DemoServer {
  address: string;
  /** How to connect: the environment's settings (TLS, API key) for its server, plain for a dev server of our own. */
  connection: TemporalConnectionOptions;
  /** The Web UI of that server, when known. */
  uiUrl: string | undefined;
}

/** The server at TEMPORAL_ADDRESS when one answers; else a dev server of our own, with its Web UI. */
async function temporalServer(stops: Array<() => Promise<void>>): Promise<DemoServer> {
  const connection = temporalConnectionOptions();
  const { address } = connection;
  if (await listening(address)) return { address, connection, uiUrl: temporalUiUrl() };
  console.log(`No Temporal server at ${address}; starting a local dev server ...`);
  const uiPort = await freePort(DEFAULT_UI_PORT);
  // The server's start-up warnings (a generated cluster id, say) are noise here too, unless debugging.
  const serverLog = { format: 'pretty', level: ['debug', 'trace'].includes(logLevel()) ? 'debug' : 'error' };
  const { server, cli } = await startLocalTemporal({ ip: '127.0.0.1', ui: true, uiPort, log: serverLog });
  stops.push(() => server.teardown());
  console.log(`Temporal dev server at ${server.address} (${cli})`);
  return { address: server.address, connection: { address: server.address }, uiUrl: `http://127.0.0.1:${uiPort}` };
}

/** `preferred` if nothing listens there (a dev server of another project may), else any free port. */
function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number): Promise<number | undefined> =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => {
        const { port: bound } = server.address() as AddressInfo;
        server.close(() => resolve(bound));
      });
    });
  return tryPort(preferred).then(async (port) => port ?? (await tryPort(0)) ?? preferred);
}

function webUiLine(server: DemoServer, workflowId: string): string {
  if (server.uiUrl === undefined) return `Web UI: not known for ${server.address}; set TEMPORAL_UI_URL (e.g. http://localhost:8233) to print a link`;
  return `Web UI: ${workflowPageUrl(server.uiUrl, temporalNamespace(), workflowId)}`;
}

async function main(): Promise<void> {
  const options = new Command('demo')
    .description('export Canvas-style records from the built-in LMS simulator into DuckDB, on Temporal')
    .option('--keep', 'leave the server, simulator and worker up until Ctrl-C')
    .option('--data-dir <dir>', 'where the DuckDB file and the spec are written', 'data')
    .option('--users <count>', 'users in the simulated Canvas (a smaller demo with fewer)', (v) => wholeNumber('--users', v), DEMO_USERS)
    .parse()
    .opts<{ keep?: boolean; dataDir: string; users: number }>();
  installRuntime();
  const specFile = join(options.dataDir, 'demo-spec.json');
  const duckdbFile = join(options.dataDir, 'demo.duckdb');
  const stops: Array<() => Promise<void>> = [];
  try {
    const converter = dataConverterOption();
    const server = await temporalServer(stops);

    const simulator = new LmsSimulator({ users: options.users, courses: 40, enrollmentsPerCourse: 400, submissionsPerCourse: 600 });
    const simulatorUrl = await simulator.start();
    stops.push(() => simulator.stop());
    process.env[TOKEN_ENV] = simulator.token;
    console.log(`LMS simulator at ${simulatorUrl}`);

    const taskQueue = `${TASK_QUEUE}-demo-${process.pid}`;
    const nativeConnection = await NativeConnection.connect(server.connection);
    stops.push(() => nativeConnection.close());
    const exportWorker = await createExportWorker({ connection: nativeConnection, taskQueue });
    const running = exportWorker.run();
    stops.push(async () => (exportWorker.shutdown(), await running));

    const connection = await Connection.connect(server.connection);
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: temporalNamespace(), ...converter });
    const spec = demoSpec(simulatorUrl, duckdbFile);
    mkdirSync(options.dataDir, { recursive: true });
    writeFileSync(specFile, `${JSON.stringify(spec, null, 2)}\n`);
    const handle = await startExport(client, spec, { workflowId: `export-demo-${Date.now()}`, taskQueue });
    console.log(`Started ${handle.workflowId} on task queue ${taskQueue}`);
    console.log(webUiLine(server, handle.workflowId));

    const total = spec.resources.reduce((sum, r) => sum + simulator.truth(`/api/v1${r.path}`).length, 0);
    const bar = new SingleBar({ format: 'exporting [{bar}] {value}/{total} records | {eta_formatted} left' });
    bar.start(total, 0);
    const started = Date.now();
    const poll = setInterval(() => {
      exportStatus(client, handle.workflowId)
        .then((s) => bar.update(s.resources.reduce((n, r) => n + (r.records ?? 0), 0)))
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
    console.log(`\n${records} records in ${seconds.toFixed(1)} s (${Math.round(records / seconds)} records/s) into ${duckdbFile}`);
    console.log(webUiLine(server, handle.workflowId));
    console.log(`Stored rows: npx lms-export dump ${specFile} users`);
    if (options.keep) {
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
