import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { DatasetOptions } from './dataset';
import { FAULT_KINDS, type FaultKind } from './faults';
import { DEFAULT_SIMULATOR_TOKEN, LmsSimulator, type SimulatorOptions } from './server';

/**
 * `npm run simulator -- [options]`: the LMS simulator on its own, for trying lms-export by hand (a worker and the
 * CLI in other shells). Prints each API style's base URL, the token and a spec to start with.
 */

const DEFAULT_PORT = 4010;
const TOKEN_ENV = 'SIM_TOKEN';
/** A ready spec for the simulator on its default host and port (README: "Try it against the simulator"). */
const EXAMPLE_SPEC_FILE = join(__dirname, '..', '..', 'examples', 'simulator-canvas.json');

/** The base URL each preset's spec takes (`source.baseUrl`), and the collections under it. */
const API_STYLES: Array<{ preset: string; basePath: string; paths: string }> = [
  { preset: 'canvas', basePath: '/api/v1', paths: '/accounts/1/users, /courses, /courses/<id>/enrollments, /courses/<id>/students/submissions' },
  { preset: 'edfi', basePath: '/data/v3', paths: '/ed-fi/students, /ed-fi/studentSchoolAssociations (and their /deletes)' },
  { preset: 'oneroster', basePath: '/ims/oneroster/rostering/v1p2', paths: '/users, /enrollments, /classes' },
  { preset: 'blackboard', basePath: '', paths: '/learn/api/public/v1/users, /learn/api/public/v3/courses' },
  { preset: 'moodle', basePath: '', paths: '/webservice/rest/server.php?courseid=<id> (token in auth.queryTokenEnv)' },
  { preset: 'generic', basePath: '/generic/v1', paths: '/records (JSON cursor), /events (keyset), /pages (page numbers)' },
];

/** The dataset's own sizes, as options of the same names, and how to serve and disturb it. */
interface CliOptions extends Pick<DatasetOptions, 'seed' | 'users' | 'courses' | 'enrollmentsPerCourse' | 'submissionsPerCourse' | 'records'> {
  port: number;
  host: string;
  token: string;
  latency: number;
  insertsPerPage?: number;
  updatesPerPage?: number;
  deletesPerPage?: number;
  faultRate?: number;
  faultKinds?: FaultKind[];
  malformedRate?: number;
  canvasThrottle?: boolean;
  throttleStatus?: 403 | 429;
  edfiVersion: string;
  lenient?: boolean;
}

function wholeNumber(option: string, min = 0, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isInteger(number) || number < min || number > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`${option} must be a whole number ${range}, got "${value}"`);
    }
    return number;
  };
}

function share(option: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !(number >= 0 && number <= 1)) throw new InvalidArgumentError(`${option} must be a share from 0 to 1 (0.05 is 5%), got "${value}"`);
    return number;
  };
}

function faultKinds(value: string): FaultKind[] {
  const kinds = value.split(',').map((k) => k.trim());
  const unknown = kinds.filter((k) => !(FAULT_KINDS as string[]).includes(k));
  if (unknown.length > 0) throw new InvalidArgumentError(`--fault-kinds takes a comma-separated list of ${FAULT_KINDS.join(', ')}; got "${unknown.join(', ')}"`);
  return kinds as FaultKind[];
}

function parseSimulatorArgs(argv: string[]): CliOptions {
  const program = new Command('simulator')
    .description('run the LMS simulator: Canvas, Ed-Fi, OneRoster, Blackboard, Moodle and generic JSON APIs over one seeded dataset')
    .addOption(new Option('--port <port>', 'port to listen on (0: any free port)').env('SIMULATOR_PORT').argParser(wholeNumber('--port', 0, 65_535)).default(DEFAULT_PORT))
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--token <token>', 'the token every API accepts', DEFAULT_SIMULATOR_TOKEN)
    .option('--seed <n>', 'seed of the generated data (same seed, same rows)', wholeNumber('--seed'), 42)
    .option('--users <count>', 'users (Canvas users, Ed-Fi students, OneRoster users, …)', wholeNumber('--users'), 5_000)
    .option('--courses <count>', 'courses', wholeNumber('--courses'), 20)
    .option('--enrollments-per-course <count>', 'enrollments in each course', wholeNumber('--enrollments-per-course'), 150)
    .option('--submissions-per-course <count>', 'submissions in each course', wholeNumber('--submissions-per-course'), 100)
    .option('--records <count>', 'records of the generic JSON APIs', wholeNumber('--records'), 1_000)
    .option('--latency <ms>', 'delay before every API answer', wholeNumber('--latency'), 0)
    .option('--inserts-per-page <count>', 'live data: rows inserted into the paged collection before each page is served', wholeNumber('--inserts-per-page'))
    .option('--updates-per-page <count>', 'live data: rows updated before each page', wholeNumber('--updates-per-page'))
    .option('--deletes-per-page <count>', 'live data: rows deleted before each page', wholeNumber('--deletes-per-page'))
    .option('--fault-rate <share>', 'share of API requests that fail (5xx, resets, hangs, truncated or HTML bodies)', share('--fault-rate'))
    .option('--fault-kinds <kinds>', `which faults, comma-separated: ${FAULT_KINDS.join(', ')}`, faultKinds)
    .option('--malformed-rate <share>', 'share of records served damaged (missing field, wrong type, null key)', share('--malformed-rate'))
    .option('--canvas-throttle', "throttle Canvas routes with Canvas's leaky bucket (700 units, leaking 10/s)")
    .option('--throttle-status <status>', 'what a throttled Canvas request gets: 403 (classic Canvas) or 429', (v) => {
      if (v !== '403' && v !== '429') throw new InvalidArgumentError(`--throttle-status must be 403 or 429, got "${v}"`);
      return Number(v) as 403 | 429;
    })
    .option('--edfi-version <version>', 'the Ed-Fi ODS/API version to play: key-set paging from 7.3, limit/offset only before', (v) => {
      if (!/^\d+\.\d+(\.\d+)?$/.test(v)) throw new InvalidArgumentError(`--edfi-version must be like 7.3.0, got "${v}"`);
      return v;
    }, '7.3.0')
    .option('--lenient', "serve requests the real APIs refuse instead of answering as they do (the breaches still count in /_sim/stats)")
    .parse(argv, { from: 'user' });
  const options = program.opts<CliOptions>();
  if (options.faultKinds !== undefined && options.faultRate === undefined) program.error('--fault-kinds needs --fault-rate (the share of requests that fail)');
  if (options.throttleStatus !== undefined && options.canvasThrottle !== true) program.error('--throttle-status needs --canvas-throttle');
  return options;
}

function simulatorOptions(cli: CliOptions): SimulatorOptions {
  const live = cli.insertsPerPage !== undefined || cli.updatesPerPage !== undefined || cli.deletesPerPage !== undefined;
  return {
    port: cli.port,
    host: cli.host,
    token: cli.token,
    seed: cli.seed,
    users: cli.users,
    courses: cli.courses,
    enrollmentsPerCourse: cli.enrollmentsPerCourse,
    submissionsPerCourse: cli.submissionsPerCourse,
    records: cli.records,
    latencyMs: cli.latency,
    ...(live ? { mutationsPerPage: { inserts: cli.insertsPerPage, updates: cli.updatesPerPage, deletes: cli.deletesPerPage } } : {}),
    ...(cli.faultRate === undefined ? {} : { faults: { rate: cli.faultRate, kinds: cli.faultKinds } }),
    ...(cli.malformedRate === undefined ? {} : { malformed: { rate: cli.malformedRate } }),
    ...(cli.canvasThrottle === true ? { canvasBucket: { throttleWith: cli.throttleStatus ?? 403 } } : {}),
    edfiVersion: cli.edfiVersion,
    lenient: cli.lenient === true,
  };
}

/** What a user needs to point a spec and a worker at this simulator. */
function startBanner(url: string, cli: CliOptions): string {
  const lines = [
    `LMS simulator at ${url}`,
    `  data: seed ${cli.seed}, ${cli.users} users, ${cli.courses} courses, ${cli.enrollmentsPerCourse} enrollments and ${cli.submissionsPerCourse} submissions per course, ${cli.records} generic records; latency ${cli.latency} ms; Ed-Fi ODS/API ${cli.edfiVersion}; ${cli.lenient === true ? 'lenient: requests the real APIs refuse are served' : "strict: requests the real APIs refuse get the real APIs' answers"}`,
    '',
    'Base URL (source.baseUrl) per API style, and its collections:',
    ...API_STYLES.map((s) => `  ${s.preset.padEnd(11)}${(url + s.basePath).padEnd(url.length + 31)}${s.paths}`),
    '',
    `Token: ${cli.token}. Put it where workers read it (the spec names the variable in source.auth.bearerTokenEnv):`,
    `  export ${TOKEN_ENV}=${cli.token}`,
    '',
  ];
  const example = JSON.parse(readFileSync(EXAMPLE_SPEC_FILE, 'utf8')) as { source: { baseUrl: string } };
  const specFile = relative(process.cwd(), EXAMPLE_SPEC_FILE);
  if (example.source.baseUrl === `${url}/api/v1`) {
    lines.push(`Spec: ${specFile} (Canvas users, courses and enrollments into DuckDB)`, `  npx lms-export start ${specFile} --wait`);
  } else {
    example.source.baseUrl = `${url}/api/v1`;
    lines.push(`Spec: ${specFile} with this simulator's base URL; save it as a file and start it:`, `  ${JSON.stringify(example)}`);
  }
  lines.push('', `Ground truth: ${url}/_sim/truth/<path>; request counts: ${url}/_sim/stats. Ctrl-C stops.`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const cli = parseSimulatorArgs(process.argv.slice(2));
  const simulator = new LmsSimulator(simulatorOptions(cli));
  const url = await simulator.start().catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    throw new Error(`--port ${cli.port}: ${cli.host}:${cli.port} is in use; choose another port (--port 0 picks a free one)`);
  });
  console.log(startBanner(url, cli));
  const stop = (): void => void simulator.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error) => {
  console.error(`simulator failed: ${(error as Error).message}`);
  process.exitCode = 1;
});
