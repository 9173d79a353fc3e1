import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bundleWorkflowCode, type Logger, type WorkflowBundleOption } from '@temporalio/worker';
import { bundledModules, workflowSources } from './workflow-sources';

/** The workflows' entry module: all that a worker runs in its workflow sandbox is reached from here. */
export const WORKFLOWS_PATH = join(__dirname, '..', 'workflows', 'index.ts');

const PROJECT_ROOT = join(__dirname, '..', '..');

/** Installed packages, whose versions are part of a bundle's key. */
const NODE_MODULES = join(PROJECT_ROOT, 'node_modules');

/** Built bundles live beside the packages they were built from, so a fresh `npm ci` starts a fresh cache. */
export const BUNDLE_CACHE_DIR = join(NODE_MODULES, '.cache', 'lms-export');

/** Bundles of other sources that are kept (a branch switched back to starts fast too); older ones are removed. */
const KEEP_OTHER_BUNDLES = 3;

/** A bundle written this recently is never removed: a worker starting on other sources may be about to read it. */
const KEEP_RECENT_MS = 10 * 60_000;

export interface BundleCacheOptions {
  entry?: string;
  cacheDir?: string;
  nodeModules?: string;
  /** Receives the bundler's (webpack's) output when a bundle is built; errors only, when not given. */
  logger?: Logger;
  /** The failure converter the sandbox uses (an encrypted deployment's, codec/data-converter.ts); a bundle of its own. */
  failureConverterPath?: string;
}

/** Workflow code for a worker: a cached bundle's file, or (the cache folder not writable) the code itself. */
export type WorkflowCode =
  | { key: string; codePath: string; built: boolean }
  | { key: string; code: string; built: true; notCachedBecause: string };

const building = new Map<string, Promise<WorkflowCode>>();

/**
 * The bundle of the workflow sources as they are now: read from the cache when one was built from the same
 * sources and package versions, otherwise built (about 2–4 s of webpack) and stored for the next start. The file
 * is written under a temporary name and renamed into place, so a worker starting at the same moment reads a
 * whole bundle or none; two processes building at once both write a whole one, and either wins.
 */
export async function cachedWorkflowBundle(options: BundleCacheOptions = {}): Promise<WorkflowCode> {
  const entry = options.entry ?? WORKFLOWS_PATH;
  const cacheDir = options.cacheDir ?? BUNDLE_CACHE_DIR;
  const sources = bundleSources(entry, options.nodeModules ?? NODE_MODULES, options.failureConverterPath);
  const codePath = join(cacheDir, `workflow-bundle-${sources.key}.js`);
  if (existsSync(codePath)) return { key: sources.key, codePath, built: false };
  let pending = building.get(codePath);
  if (pending === undefined) {
    pending = build(entry, sources.files, sources.key, codePath, options.logger, options.failureConverterPath).finally(() => building.delete(codePath));
    building.set(codePath, pending);
  }
  return pending;
}

/** The workflow sources, and those of a failure converter bundled with them, under one key. */
function bundleSources(entry: string, nodeModules: string, failureConverterPath: string | undefined): { files: string[]; key: string } {
  const workflows = workflowSources(entry, nodeModules);
  if (failureConverterPath === undefined) return workflows;
  const converter = workflowSources(failureConverterPath, nodeModules);
  return { files: [...new Set([...workflows.files, ...converter.files])], key: `${workflows.key}-failures-${converter.key.slice(0, 8)}` };
}

async function build(entry: string, files: string[], key: string, codePath: string, logger: Logger = errorsOnly, failureConverterPath?: string): Promise<WorkflowCode> {
  const { code } = await bundleWorkflowCode({ workflowsPath: entry, logger, failureConverterPath });
  const keyed = new Set(files);
  const unkeyed = bundledModules(code).filter((file) => !keyed.has(file));
  if (unkeyed.length > 0) {
    // A bundle holding a module its key was not computed from would be reused after that module changed.
    throw new Error(`the workflow bundle holds modules that workflow-sources.ts did not find through imports: ${unkeyed.join(', ')}`);
  }
  const cacheDir = join(codePath, '..');
  const temporary = `${codePath}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(temporary, code);
    renameSync(temporary, codePath);
  } catch (error) {
    rmSync(temporary, { force: true });
    return { key, code, built: true, notCachedBecause: `${cacheDir} is not writable (${(error as Error).message})` };
  }
  removeOldBundles(cacheDir, codePath);
  return { key, codePath, built: true };
}

/** Keeps the cache from growing with every edit of a workflow: the newest few bundles stay. */
function removeOldBundles(cacheDir: string, current: string): void {
  const now = Date.now();
  const others = readdirSync(cacheDir)
    .filter((name) => /^workflow-bundle-.*\.js(\..*\.tmp)?$/.test(name))
    .map((name) => join(cacheDir, name))
    .filter((path) => path !== current)
    .map((path) => ({ path, mtimeMs: modifiedAt(path) ?? now }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const { path, mtimeMs } of others.slice(KEEP_OTHER_BUNDLES)) {
    if (now - mtimeMs > KEEP_RECENT_MS) rmSync(path, { force: true });
  }
}

/** When the file was last written, or undefined when another process removed it meanwhile. */
function modifiedAt(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** What a worker is given as `workflowBundle`. */
export function workflowBundleOption(workflowCode: WorkflowCode): WorkflowBundleOption {
  return 'codePath' in workflowCode ? { codePath: workflowCode.codePath } : { code: workflowCode.code };
}

/** One line for the worker's log: where its workflow code came from. */
export function describeWorkflowCode(workflowCode: WorkflowCode): string {
  if (!('codePath' in workflowCode)) return `workflow code bundled in memory, not cached: ${workflowCode.notCachedBecause}`;
  const shown = relative(process.cwd(), workflowCode.codePath);
  return workflowCode.built ? `workflow code bundled into ${shown} (reused by the next start)` : `workflow code from the cached bundle ${shown}`;
}

const errorsOnly: Logger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};
