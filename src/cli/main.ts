import { Command } from 'commander';
import packageJson from '../../package.json';
import { SpecError } from '../spec/parse-spec';
import { addPlanVerb } from './plan-verb';
import { addRunVerbs } from './run-verbs';
import { addScheduleVerbs } from './schedule-verbs';
import { addSetupVerbs } from './setup-verbs';
import { addSinkVerbs } from './sink-verbs';

/**
 * `lms-export`: the operator's verbs. Each connects to TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE. `codeOrigin` (shown
 * at the end of --help) says whether the verbs run prebuilt code or their sources (bin/prebuilt-code.js).
 */
export function buildCli(codeOrigin?: string): Command {
  const program = new Command('lms-export').description('Durable, exact, resumable LMS exports on Temporal').version(packageJson.version);
  if (codeOrigin !== undefined) program.addHelpText('afterAll', `\nlms-export ${packageJson.version}: code from ${codeOrigin}`);
  addSetupVerbs(program);
  addRunVerbs(program);
  addSinkVerbs(program);
  addPlanVerb(program);
  addScheduleVerbs(program);
  return program;
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
