import { Option, type Command } from 'commander';
import type { ScheduleHandle } from '@temporalio/client';
import { connectClient, readSpecFile } from '../client/exports';
import { backfillPlan, createSchedule, describeSchedule, formatSchedule, listSchedules, type OverlapPolicy } from '../client/schedules';
import { print } from './output';

/** `schedule …`: hourly (or any) syncs on Temporal Schedules. */
export function addScheduleVerbs(program: Command): void {
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

}
