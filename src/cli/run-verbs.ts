import { pauseSignal, resumeSignal } from '../workflows/definitions';
import type { ExportSpecInput } from '../spec/export-spec';
import { stringifyJson } from '../pagination/record-json';
import { cancelExport, connectClient, exportStatus, readSpecFile, startExport, waitForReport } from '../client/exports';
import { formatReport } from './format-report';
import { formatResourceLine } from './format-progress';
import { resolveRun } from './resolve-run';
import { retryFailedSpec } from './retry-failed';
import { intervalMsOf, progressOutput, watchRun } from './watch-run';
import { print } from './output';
import type { Command } from 'commander';

/** The verbs that start, follow and steer a run: start, watch, status, pause, resume, cancel. */
export function addRunVerbs(program: Command): void {
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

}
