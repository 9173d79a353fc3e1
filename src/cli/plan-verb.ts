import type { Command } from 'commander';
import { sourceRequestBudget } from '../sources/request-budget';
import { readSpecFile } from '../client/exports';
import { formatPlan, parseInterval, planExport } from './plan';
import { print } from './output';

/** `plan`: what a run of the spec needs (requests, time), asked of the source before anything runs. */
export function addPlanVerb(program: Command): void {
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

}
