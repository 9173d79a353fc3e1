import { userInfo } from 'node:os';
import type { ScheduleHandle } from '@temporalio/client';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { formatVerification, verifyRun } from '../integrity/verify-run';
import { openSink, readerBusyWaitMs } from '../sinks/open-sink';
import type { Sink } from '../sinks/sink';
import { sourceRequestBudget } from '../sources/request-budget';
import { exportSpecSchema, type ExportSpecInput, type SinkConfig } from '../spec/export-spec';
import { SpecError } from '../spec/parse-spec';
import { pauseSignal, resumeSignal } from '../workflows/definitions';
import { cancelExport, connectClient, exportStatus, readSpecFile, specOfRun, startExport, waitForReport } from './exports';
import { dumpRows } from './dump-rows';
import { EXPORT_FORMATS, exportFile } from './export-file';
import { formatDeletions } from './format-deletions';
import { formatQuarantine } from './format-quarantine';
import { retryFailedSpec } from './retry-failed';
import { backfillPlan, createSchedule, describeSchedule, formatSchedule, listSchedules, type OverlapPolicy } from './schedules';
import { formatReport } from './format-report';
import { formatResourceLine } from './format-progress';
import { intervalMsOf, progressOutput, watchRun } from './watch-run';
import { registerSearchAttributes } from './search-attributes';
import { formatPlan, parseInterval, planExport } from './plan';
import { formatReset, formatStates } from './format-state';
import { readStates, resetState } from './incremental-state';
import { resolveRun } from './resolve-run';
import packageJson from '../../package.json';
import { CODEC_AUTH_TOKEN_ENV } from '../codec/codec-server';
import { ENCRYPTION_KEY_ENV } from '../codec/encryption-keys';
import { runCodecServer, type CodecServerCommandOptions } from '../codec/run-codec-server';
import { stringifyJson } from '../pagination/record-json';

/**
 * `lms-export`: the operator's verbs. Each connects to TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE. `codeOrigin` (shown
 * at the end of --help) says whether the verbs run prebuilt code or their sources (bin/prebuilt-code.js).
 */
export function buildCli(codeOrigin?: string): Command {
  const program = new Command('lms-export').description('Durable, exact, resumable LMS exports on Temporal').version(packageJson.version);
  if (codeOrigin !== undefined) program.addHelpText('afterAll', `\nlms-export ${packageJson.version}: code from ${codeOrigin}`);

  // Required only here (the CLI runs as CommonJS): the worker's SDK takes longer to load than a status or pause command takes to run.
  program.command('worker').description('run a worker on the lms-export task queue').action(() => (require('./worker') as typeof import('./worker')).runWorkerProcess());

  program
    .command('codec-server')
    .description(`decrypt history for the Web UI and \`temporal --codec-endpoint\` (Temporal's remote codec protocol), with the keys of ${ENCRYPTION_KEY_ENV}(S)`)
    .requiredOption('--port <port>', 'port to listen on')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--cors-origin <origin...>', 'origin of the Web UI that may call it from a browser, e.g. http://localhost:8233')
    .option('--no-auth', `accept requests without the Authorization header ${CODEC_AUTH_TOKEN_ENV} holds`)
    .action(async (opts: CodecServerCommandOptions) => void (await runCodecServer(opts)));

  program
    .command('setup')
    .description("register lms-export's search attributes (LmsSpec, LmsPhase, LmsVerdict, …) on the namespace, so runs can be filtered by them")
    .action(async () => {
      const client = await connectClient();
      const namespace = client.options.namespace;
      const added = await registerSearchAttributes(client.connection, namespace);
      console.log(added.length === 0 ? `namespace ${namespace} has every lms-export search attribute already` : `namespace ${namespace}: registered ${added.join(', ')}`);
    });

  program
    .command('start')
    .argument('<spec>', 'ExportSpec JSON file')
    .option('--id <workflowId>', 'workflow id (default export-<spec name>)')
    .option('--wait', 'show progress while the run goes (bars on a terminal, else a line per resource every --interval), then print its report')
    .option('--interval <seconds>', 'with --wait: how often progress is shown (default 1 on a terminal, 10 otherwise)')
    .option('--json', 'print machine-readable JSON (with --wait: the report only)')
    .option('--full', 'traverse incremental resources from the beginning this run')
    .option('--retry-failed <run>', 'run only the parent keys that failed in that run (nested resources): spec file, spec name or workflow id')
    .option('--paused', 'start the run paused: no request is sent until `lms-export resume`')
    .description('validate a spec and start an export')
    .action(async (specPath: string, opts: { id?: string; wait?: boolean; interval?: string; json?: boolean; full?: boolean; retryFailed?: string; paused?: boolean }) => {
      const { raw } = readSpecFile(specPath);
      const client = await connectClient();
      let input = opts.full ? { ...(raw as ExportSpecInput), full: true } : (raw as ExportSpecInput);
      if (opts.retryFailed !== undefined) {
        const previous = await resolveRun(client, opts.retryFailed);
        input = retryFailedSpec(input, await waitForReport(client.workflow.getHandle(previous.workflowId)));
      }
      const handle = await startExport(client, input, { workflowId: opts.id, paused: opts.paused });
      if (!opts.wait) {
        print(opts.json, { workflowId: handle.workflowId, runId: handle.firstExecutionRunId }, `started ${handle.workflowId}${opts.paused ? ' (paused)' : ''}`);
        return;
      }
      const output = progressOutput(opts.json, 'none', process.stderr.isTTY);
      const report = await watchRun(client, handle.workflowId, { output, intervalMs: intervalMsOf(opts.interval, output) });
      print(opts.json, report, formatReport(report));
      if (report.status !== 'completed') process.exitCode = 1;
    });

  program
    .command('watch')
    .argument('<run>', 'spec file, spec name (its latest run, scheduled ones included) or workflow id')
    .option('--interval <seconds>', 'how often progress is shown (default 1 on a terminal, 10 otherwise)')
    .option('--json', 'print one JSON object per poll, then the report as the last line')
    .description('follow a running export until it ends: a bar or counter per resource (a line each on a pipe or log), then its report')
    .action(async (identifier: string, opts: { interval?: string; json?: boolean }) => {
      const client = await connectClient();
      const { workflowId } = await resolveRun(client, identifier);
      const output = progressOutput(opts.json, 'json', process.stderr.isTTY);
      const report = await watchRun(client, workflowId, { output, intervalMs: intervalMsOf(opts.interval, output) });
      console.log(opts.json ? stringifyJson({ kind: 'report', ...report }) : formatReport(report));
      if (report.status !== 'completed') process.exitCode = 1;
    });

  program
    .command('status')
    .argument('<run>', 'spec file, spec name (its latest run, scheduled ones included) or workflow id')
    .option('--json', 'print machine-readable JSON')
    .description("show a run's progress, resource by resource")
    .action(async (identifier: string, opts: { json?: boolean }) => {
      const client = await connectClient();
      const { workflowId } = await resolveRun(client, identifier);
      const status = await exportStatus(client, workflowId);
      const now = Date.now();
      const lines = [`${workflowId}: ${status.workflowStatus}${status.run.paused ? ' (paused)' : ''}, phase ${status.run.phase}`];
      for (const r of status.resources) lines.push(`  ${formatResourceLine(r, now, status.retrying[r.resource])}`);
      print(opts.json, status, lines.join('\n'));
    });

  for (const [verb, signal] of [['pause', pauseSignal], ['resume', resumeSignal]] as const) {
    program
      .command(verb)
      .argument('<run>', 'spec file, spec name (its latest run) or workflow id')
      .description(`${verb} a running export between pages`)
      .action(async (identifier: string) => {
        const client = await connectClient();
        const { workflowId } = await resolveRun(client, identifier);
        await client.workflow.getHandle(workflowId).signal(signal);
        console.log(`${verb} sent to ${workflowId}`);
      });
  }

  program
    .command('cancel')
    .argument('<run>', 'spec file, spec name (its latest run) or workflow id')
    .description('cancel a running export: its traversals stop, what was persisted stays, the run ends cancelled')
    .action(async (identifier: string) => {
      const client = await connectClient();
      const { workflowId } = await resolveRun(client, identifier);
      await cancelExport(client, workflowId);
      console.log(`cancel requested for ${workflowId}: its traversals stop at their next step`);
    });

  const state = program
    .command('state')
    .argument('<spec>', 'ExportSpec JSON file (names the sink)')
    .option('--resource <name>', 'only this resource')
    .option('--json', 'print machine-readable JSON')
    .description("show each resource's incremental state: high-water mark, last complete run, last deletion scan")
    .action(async (specPath: string, opts: { resource?: string; json?: boolean }) => {
      const states = await readStates(readSpecFile(specPath).spec, opts.resource);
      print(opts.json, states, formatStates(states));
    });
  state
    .command('reset')
    .argument('<spec>', 'ExportSpec JSON file (names the sink)')
    .option('--resource <name>', 'the resource whose next run traverses everything (required)')
    .option('--json', 'print machine-readable JSON')
    .description("clear a resource's high-water mark so its next run is full; an audit row in _lms_actions records it")
    .action(async (specPath: string, _opts: unknown, command: Command) => {
      // `state` has --resource and --json too, and commander gives them to it: read them with the parent's.
      const opts = command.optsWithGlobals<{ resource?: string; json?: boolean }>();
      if (opts.resource === undefined) throw new Error('state reset: --resource <name> is required (the resource whose next run traverses everything)');
      const outcome = await resetState(readSpecFile(specPath).spec, opts.resource, userInfo().username);
      print(opts.json, outcome, formatReset(outcome));
    });

  program
    .command('dump')
    .argument('<spec>', 'ExportSpec JSON file (names the sink)')
    .argument('<resource>', 'resource name')
    .option('--format <format>', 'jsonl', 'jsonl')
    .option('--exclude-deleted', 'leave out rows soft-deleted with deletions --apply')
    .description('print the stored rows of a resource, one JSON record per line, with _first_run, _last_run and _deleted_at')
    .action(async (specPath: string, resource: string, opts: { format: string; excludeDeleted?: boolean }) => {
      if (opts.format !== 'jsonl') throw new Error(`--format: expected jsonl, got "${opts.format}"`);
      const { spec } = readSpecFile(specPath);
      if (!spec.resources.some((r) => r.name === resource)) throw new Error(`resource "${resource}" is not in spec ${spec.name}`);
      await withSink(spec.sink, (sink) => dumpRows(sink, resource, { excludeDeleted: opts.excludeDeleted }));
    });

  program
    .command('export-file')
    .argument('<spec>', 'ExportSpec JSON file (names the sink)')
    .argument('<resource>', 'resource name')
    .requiredOption('--out <path>', 'file to write')
    .option('--format <format>', `one of ${EXPORT_FORMATS.join(', ')}`, 'parquet')
    .option('--exclude-deleted', 'leave out rows soft-deleted with deletions --apply')
    .description('write the stored records of a resource, with _first_run, _last_run and _deleted_at, to a Parquet, JSON Lines or CSV file')
    .action(async (specPath: string, resource: string, opts: { out: string; format: string; excludeDeleted?: boolean }) => {
      const format = EXPORT_FORMATS.find((f) => f === opts.format);
      if (format === undefined) throw new Error(`--format: expected one of ${EXPORT_FORMATS.join(', ')}, got "${opts.format}"`);
      const { spec } = readSpecFile(specPath);
      if (!spec.resources.some((r) => r.name === resource)) throw new Error(`resource "${resource}" is not in spec ${spec.name}`);
      await withSink(spec.sink, async (sink) => {
        const written = await exportFile(sink, resource, format, opts.out, { excludeDeleted: opts.excludeDeleted });
        console.log(`wrote ${written.rows} rows of ${resource} to ${written.path}`);
      });
    });

  program
    .command('quarantine')
    .argument('<spec>', 'ExportSpec JSON file (names the sink)')
    .option('--resource <name>', 'only this resource')
    .option('--all', 'also records a later run re-admitted')
    .option('--json', 'print machine-readable JSON, raw records included')
    .description('list the records that failed validation and were set aside, with their issues')
    .action(async (specPath: string, opts: { resource?: string; all?: boolean; json?: boolean }) => {
      const { spec } = readSpecFile(specPath);
      if (opts.resource !== undefined && !spec.resources.some((r) => r.name === opts.resource)) throw new Error(`--resource: "${opts.resource}" is not in spec ${spec.name}`);
      await withSink(spec.sink, async (sink) => {
        const records = await sink.readQuarantine({ resource: opts.resource, includeReadmitted: opts.all });
        print(opts.json, records, formatQuarantine(records));
      });
    });

  program
    .command('deletions')
    .argument('<spec>', 'ExportSpec JSON file (names the sink)')
    .option('--resource <name>', 'only this resource')
    .option('--apply', 'soft-delete the flagged rows (sets _deleted_at; an audit row records it)')
    .option('--all', 'also flags lifted or applied before')
    .option('--json', 'print machine-readable JSON')
    .description('list rows complete runs no longer see (flagged for review), and with --apply mark them deleted')
    .action(async (specPath: string, opts: { resource?: string; apply?: boolean; all?: boolean; json?: boolean }) => {
      const { spec } = readSpecFile(specPath);
      const resources = spec.resources.filter((r) => opts.resource === undefined || r.name === opts.resource);
      if (resources.length === 0) throw new Error(`--resource: "${opts.resource}" is not in spec ${spec.name}`);
      await withSink(spec.sink, async (sink) => {
        const flagged = [];
        for (const r of resources) flagged.push(...(await sink.deletions.list({ resource: r.name, status: opts.all ? undefined : 'flagged' })));
        const applied: Record<string, number> = {};
        if (opts.apply) for (const r of resources) applied[r.name] = await sink.deletions.apply(r, userInfo().username);
        print(opts.json, { flagged, applied }, formatDeletions(flagged, opts.apply ? applied : undefined));
      });
    });

  program
    .command('verify')
    .argument('<run-id>', 'the run id from a report (runId)')
    .option('--spec <file>', 'read the sink from this spec instead of the run\'s history in Temporal')
    .option('--json', 'print machine-readable JSON')
    .description('recompute a run\'s audit chain and seal from the sink; exit 1 if it does not hold')
    .action(async (runId: string, opts: { spec?: string; json?: boolean }) => {
      const spec = opts.spec !== undefined ? readSpecFile(opts.spec).spec : await specOfRun(await connectClient(), runId);
      await withSink(spec.sink, async (sink) => {
        const result = await verifyRun(sink, runId, new Map(spec.resources.map((r) => [r.name, r.primaryKey])));
        print(opts.json, result, formatVerification(result));
        if (!result.holds) process.exitCode = 1;
      });
    });

  program
    .command('plan')
    .argument('<spec>', 'ExportSpec JSON file')
    .option('--every <interval>', 'schedule interval to check the run against, e.g. 1h')
    .option('--rps <n>', 'requests per second the run will be allowed (default: the source\'s request budget)')
    .option('--estimate <resource=rows...>', 'row counts for resources whose API reports no total')
    .option('--json', 'print machine-readable JSON')
    .description('ask each resource for its size and print the requests and time a run needs, before anything runs')
    .action(async (specPath: string, opts: { every?: string; rps?: string; estimate?: string[]; json?: boolean }) => {
      const { spec } = readSpecFile(specPath);
      const budget = sourceRequestBudget(spec.source);
      const requestsPerSecond = opts.rps === undefined ? budget.requestsPerSecond : Number(opts.rps);
      if (!(requestsPerSecond > 0)) throw new Error(`--rps: expected a positive number, got "${opts.rps}"`);
      const estimates = Object.fromEntries(
        (opts.estimate ?? []).map((pair) => {
          const [name, rows] = pair.split('=');
          if (!name || !Number.isInteger(Number(rows))) throw new Error(`--estimate: expected resource=rows, got "${pair}"`);
          return [name, Number(rows)];
        }),
      );
      const everySeconds = opts.every === undefined ? undefined : parseInterval(opts.every);
      const plan = await planExport(spec, { estimates, requestsPerSecond, concurrentRequests: budget.concurrentRequestsPerWorker, everySeconds });
      print(opts.json, plan, formatPlan(plan));
    });

  const schedule = program.command('schedule').description('hourly (or any) syncs on Temporal Schedules');
  schedule
    .command('create')
    .argument('<spec>', 'ExportSpec JSON file: the input of every scheduled run')
    .requiredOption('--every <interval>', 'how often, e.g. 1h')
    .option('--id <scheduleId>', 'schedule id (default sync-<spec name>)')
    .option('--catchup-window <interval>', 'how late a run missed during an outage may still start', '10m')
    .action(async (specPath: string, opts: { every: string; id?: string; catchupWindow: string }) => {
      const { raw } = readSpecFile(specPath);
      const handle = await createSchedule(await connectClient(), raw, { every: opts.every, scheduleId: opts.id, catchupWindow: opts.catchupWindow });
      console.log(`created schedule ${handle.scheduleId}: every ${opts.every}, overlap SKIP, catch-up window ${opts.catchupWindow}`);
    });
  schedule
    .command('list')
    .option('--json', 'print machine-readable JSON')
    .action(async (opts: { json?: boolean }) => {
      const listings = await listSchedules(await connectClient());
      print(opts.json, listings, listings.length === 0 ? 'no export schedules' : listings.map(formatSchedule).join('\n'));
    });
  schedule
    .command('describe')
    .argument('<scheduleId>')
    .option('--json', 'print machine-readable JSON')
    .action(async (scheduleId: string, opts: { json?: boolean }) => {
      const listing = await describeSchedule(await connectClient(), scheduleId);
      print(opts.json, listing, formatSchedule(listing));
    });
  for (const [verb, act] of [
    ['pause', (h: ScheduleHandle) => h.pause('paused with lms-export')],
    ['unpause', (h: ScheduleHandle) => h.unpause('unpaused with lms-export')],
    ['trigger', (h: ScheduleHandle) => h.trigger('SKIP')],
    ['delete', (h: ScheduleHandle) => h.delete()],
  ] as const) {
    schedule
      .command(verb)
      .argument('<scheduleId>')
      .action(async (scheduleId: string) => {
        await act((await connectClient()).schedule.getHandle(scheduleId));
        console.log(`${verb}: ${scheduleId}`);
      });
  }
  schedule
    .command('backfill')
    .argument('<scheduleId>')
    .requiredOption('--from <time>', 'ISO time: runs scheduled from then…')
    .requiredOption('--to <time>', '…until then are started now')
    .addOption(new Option('--overlap <policy>', 'what runs that would overlap do').choices(['SKIP', 'BUFFER_ONE', 'BUFFER_ALL', 'ALLOW_ALL']).default('SKIP'))
    .action(async (scheduleId: string, opts: { from: string; to: string; overlap: OverlapPolicy }) => {
      const [start, end] = [new Date(opts.from), new Date(opts.to)];
      if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) throw new Error('--from and --to: expected two ISO times, --from first');
      const handle = (await connectClient()).schedule.getHandle(scheduleId);
      const every = ((await handle.describe()).spec.intervals ?? []).map((i) => Number(i.every) / 1000);
      console.log(`backfill ${scheduleId}: ${backfillPlan(every, start, end, opts.overlap).says}`);
      await handle.backfill({ start, end, overlap: opts.overlap });
    });

  program
    .command('spec-schema')
    .description('print the JSON Schema of an ExportSpec')
    .action(() => console.log(JSON.stringify(z.toJSONSchema(exportSpecSchema, { io: 'input' }), null, 2)));

  return program;
}

/**
 * Opens the spec's sink for one command and closes it whatever happens. A DuckDB file a worker holds is waited
 * for briefly (an idle worker lets go of it within seconds), then refused naming the process that holds it.
 */
async function withSink(config: SinkConfig, work: (sink: Sink) => Promise<void>): Promise<void> {
  const sink = await openSink(config, { busyWaitMs: readerBusyWaitMs() });
  try {
    await work(sink);
  } finally {
    await sink.close();
  }
}

function print(json: boolean | undefined, value: unknown, text: string): void {
  // Records may hold integers beyond 2^53 (bigint): stringifyJson writes their digits.
  console.log(json ? stringifyJson(value, 2) : text);
}

export async function main(argv: string[], codeOrigin?: string): Promise<void> {
  // `lms-export dump … | head` closes our stdout early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  try {
    await buildCli(codeOrigin).parseAsync(argv);
  } catch (error) {
    // Asked for JSON, a script gets the error as JSON on stdout too, invalid specs with every issue.
    if (argv.includes('--json')) console.log(JSON.stringify(errorAsJson(error), null, 2));
    else console.error(error instanceof SpecError ? error.message : `lms-export: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}

function errorAsJson(error: unknown): { error: string; issues?: SpecError['issues'] } {
  if (error instanceof SpecError) return { error: 'invalid spec', issues: error.issues };
  return { error: (error as Error).message };
}
