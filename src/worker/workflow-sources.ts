import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Packages that shape every bundle although no workflow source imports them: the bundler and what it injects. */
const BUNDLER_PACKAGES = ['@temporalio/worker', '@temporalio/workflow', '@temporalio/common'];

/** Bumped when the way bundles are built changes, so that bundles built the old way are not reused. */
const BUNDLE_FORMAT = 1;

/**
 * `import … from '…'`, `export … from '…'` and `import '…'`, over several lines if need be. A statement that is
 * `import type` / `export type` as a whole (group 1) is erased by the compiler and brings no code into the bundle.
 */
const MODULE_REFERENCE = /(?:^|[\s;}])(?:import|export)\s+(type\s+(?=[\w{*]))?(?:[\w$*\s{},]*?\s*from\s*)?['"]([^'"\n]+)['"]/g;

/** What goes into a workflow bundle, as far as its content can differ: our modules and the packages' versions. */
export interface WorkflowSources {
  /** Every module of ours the entry reaches through imports that carry code, absolute paths, sorted. */
  files: string[];
  /** Installed version of each package those modules import, and of the bundler's own packages. */
  packages: Record<string, string>;
  /** A digest of the files' contents (by their path relative to the entry) and the package versions. */
  key: string;
}

/**
 * The sources a bundle of `entry` is built from, found by following its relative imports the way the bundler
 * resolves them (`.ts` before `.js`, a folder's `index`). Type-only imports are not followed: they bring no code.
 */
export function workflowSources(entry: string, nodeModules: string): WorkflowSources {
  const files = new Set<string>();
  const packageNames = new Set(BUNDLER_PACKAGES);
  const pending = [resolve(entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const specifier of codeImports(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) {
        const target = resolveModule(dirname(file), specifier);
        // An import that does not resolve fails the build itself, with the bundler's message.
        if (target !== undefined && !files.has(target)) pending.push(target);
      } else if (!specifier.startsWith('node:')) {
        packageNames.add(packageNameOf(specifier));
      }
    }
  }
  const sorted = [...files].sort();
  const packages = Object.fromEntries([...packageNames].sort().map((name) => [name, installedVersion(nodeModules, name)]));
  const digest = createHash('sha256').update(`lms-export workflow bundle, format ${BUNDLE_FORMAT}\n`);
  const base = dirname(resolve(entry));
  for (const file of sorted) digest.update(`${relative(base, file)}\n${createHash('sha256').update(readFileSync(file)).digest('hex')}\n`);
  for (const [name, version] of Object.entries(packages)) digest.update(`${name}@${version}\n`);
  return { files: sorted, packages, key: digest.digest('hex').slice(0, 20) };
}

/** The specifiers of the imports and re-exports in `source` that bring code with them. */
export function codeImports(source: string): string[] {
  return [...source.matchAll(MODULE_REFERENCE)].filter((m) => m[1] === undefined).map((m) => m[2] as string);
}

/** The file the bundler picks for a relative specifier: as written, with `.ts` or `.js`, or the folder's index. */
function resolveModule(from: string, specifier: string): string | undefined {
  const base = resolve(from, specifier);
  const candidates = [
    ...(base.endsWith('.js') ? [`${base.slice(0, -3)}.ts`] : []),
    base,
    `${base}.ts`,
    `${base}.js`,
    join(base, 'index.ts'),
    join(base, 'index.js'),
  ];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

/** `zod` of `zod/v4`, `@temporalio/workflow` of `@temporalio/workflow/lib/x`. */
function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

function installedVersion(nodeModules: string, name: string): string {
  const manifest = join(nodeModules, name, 'package.json');
  if (!existsSync(manifest)) return 'not installed';
  return String((JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version ?? 'no version');
}

/**
 * Our modules in a built bundle (webpack names each module by its path from the working directory), as absolute
 * paths: a check that the sources a bundle was keyed by are all the sources it holds.
 */
export function bundledModules(code: string, cwd: string = process.cwd()): string[] {
  return [...code.matchAll(/^\/\*\*\*\/ "([^"?][^"]*)"/gm)]
    .map((m) => m[1] as string)
    .filter((id) => !id.split('/').includes('node_modules'))
    .map((id) => resolve(cwd, id));
}
