import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { sinkMisconfigured } from './sink-errors';

function inside(root: string, file: string): boolean {
  const path = relative(root, file);
  return path !== '' && !path.startsWith('..') && !isAbsolute(path);
}

/** The deepest part of `file` that exists, through its symbolic links: where creating the rest would really start. */
function realExistingPart(file: string): string {
  let at = file;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return realpathSync(at);
}

/**
 * Where a DuckDB sink's file is on this machine. With `LMS_EXPORT_DATA_DIR` set (a deployment's data folder), a
 * relative `sink.path` lives below it and an absolute one must already be inside it, through symbolic links too
 * (a link inside the folder to one outside it does not count as inside): a spec cannot create folders or files
 * anywhere the worker's user may write. Without it, paths are relative to the working folder, and the spec's
 * author is trusted with the machine, as on a developer's laptop. (The spec itself refuses `..`, `:memory:` and
 * database services such as `md:`: export-spec.ts.)
 */
export function duckDbFile(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const dataDir = env['LMS_EXPORT_DATA_DIR'];
  if (dataDir === undefined || dataDir === '') return resolve(path);
  const root = resolve(dataDir);
  const file = resolve(root, path);
  const outside = `sink.path: ${path} is outside LMS_EXPORT_DATA_DIR (${root}) on this worker: give a path relative to it`;
  if (!inside(root, file)) throw sinkMisconfigured(outside);
  if (existsSync(root)) {
    const real = realExistingPart(file);
    const realRoot = realpathSync(root);
    if (real !== realRoot && !inside(realRoot, real)) throw sinkMisconfigured(`${outside} (it leads out through a symbolic link)`);
  }
  return file;
}
