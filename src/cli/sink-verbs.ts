import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { formatVerification, verifyRun } from './verify-run';
import { connectClient, readSpecFile, specOfRun } from '../client/exports';
import { dumpRows } from './dump-rows';
import { EXPORT_FORMATS, exportFile } from './export-file';
import { formatDeletions } from './format-deletions';
import { formatQuarantine } from './format-quarantine';
import { formatReset, formatStates } from './format-state';
import { readStates, resetState } from './incremental-state';
import { print, withSink } from './output';

/** The verbs that read or change what a spec's sink holds: state, state reset, dump, export-file, quarantine, deletions, verify. */
export function addSinkVerbs(program: Command): void {
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

}
