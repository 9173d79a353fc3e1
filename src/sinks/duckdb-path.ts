import { isAbsolute, relative, resolve } from 'node:path';
import { sinkMisconfigured } from './sink-errors';

/**
 * Where a DuckDB sink's file is on this machine. With `LMS_EXPORT_DATA_DIR` set (a deployment's data folder), a
 * relative `sink.path` lives below it and an absolute one must already be inside it: a spec cannot create
 * folders or files anywhere the worker's user may write. Without it, paths are relative to the working folder.
 * (The spec itself refuses `..` and `:memory:`: export-spec.ts.)
 */
export function duckDbFile(path: string, env: NodeJS.ProcessEnv = process.env): string {
  const dataDir = env['LMS_EXPORT_DATA_DIR'];
  if (dataDir === undefined || dataDir === '') return resolve(path);
  const root = resolve(dataDir);
  const file = resolve(root, path);
  const inside = relative(root, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw sinkMisconfigured(`sink.path: ${path} is outside LMS_EXPORT_DATA_DIR (${root}) on this worker: give a path relative to it`);
  }
  return file;
}
