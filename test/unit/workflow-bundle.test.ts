import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, it } from '@jest/globals';
import { cachedWorkflowBundle, WORKFLOWS_PATH } from '../../src/worker/workflow-bundle';
import { bundledModules, codeImports, workflowSources } from '../../src/worker/workflow-sources';

const ROOT = join(__dirname, '..', '..');
const NODE_MODULES = join(ROOT, 'node_modules');
// Inside the checkout, so that the bundler finds @temporalio/workflow the way it does for src/workflows.
mkdirSync(join(ROOT, '.tmp'), { recursive: true });
const dir = mkdtempSync(join(ROOT, '.tmp', 'workflow-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small workflow package: an entry, a module it calls, one it imports only types from, and one nothing imports. */
function workflowPackage(name: string): { entry: string; write: (file: string, text: string) => void } {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const write = (file: string, text: string) => writeFileSync(join(folder, file), text);
  write('index.ts', ["import { sleep } from '@temporalio/workflow';", "import { greeting } from './greeting';", "import type { Shape } from './shape';", '', 'export async function tiny(): Promise<string> {', '  await sleep(1);', '  const shape: Shape = { n: 1 };', '  return greeting(shape.n);', '}', ''].join('\n'));
  write('greeting.ts', "export function greeting(n: number): string {\n  return `hello ${n}`;\n}\n");
  write('shape.ts', 'export interface Shape {\n  n: number;\n}\n');
  write('unrelated.ts', 'export const unrelated = 1;\n');
  return { entry: join(folder, 'index.ts'), write };
}

/** Ends in the inline source map the worker extracts (a file cut short would not). Never print a bundle: megabytes. */
function isWholeBundle(code: string): boolean {
  return /\n\/\/# sourceMappingURL=data:application\/json;charset=utf-8;base64,[A-Za-z0-9+/=]+\s*$/.test(code.slice(-3_000_000));
}

describe('the workflow sources a bundle is keyed by', () => {
  it('are the modules the entry reaches through imports that carry code, and the versions of the packages they import', () => {
    const { entry } = workflowPackage('reach');
    const sources = workflowSources(entry, NODE_MODULES);
    assert.deepEqual(sources.files, [join(dir, 'reach', 'greeting.ts'), entry]);
    const installed = JSON.parse(readFileSync(join(NODE_MODULES, '@temporalio', 'workflow', 'package.json'), 'utf8')) as { version: string };
    assert.equal(sources.packages['@temporalio/workflow'], installed.version);
    assert.ok('@temporalio/worker' in sources.packages, 'the bundler itself');
  });

  it('change with a reached module, and not with a type-only import or a module nothing imports', () => {
    const { entry, write } = workflowPackage('key');
    const first = workflowSources(entry, NODE_MODULES).key;
    assert.equal(workflowSources(entry, NODE_MODULES).key, first, 'the same sources, the same key');
    write('shape.ts', 'export interface Shape {\n  n: number;\n  m?: string;\n}\n');
    write('unrelated.ts', 'export const unrelated = 2;\n');
    assert.equal(workflowSources(entry, NODE_MODULES).key, first);
    write('greeting.ts', "export function greeting(n: number): string {\n  return `hi ${n}`;\n}\n");
    assert.notEqual(workflowSources(entry, NODE_MODULES).key, first);
  });

  it('are read from every form of import and re-export, over several lines', () => {
    const source = [
      "import { a,",
      "  type B,",
      "  c } from './multi-line';",
      "import type { D } from './types-only';",
      "import type E from './default-type';",
      "import * as f from \"./namespace\";",
      "import g, { h } from './default-and-named';",
      "import './side-effect';",
      "export { i } from './re-export';",
      "export * from './star';",
      "export type { J } from './type-re-export';",
      "export const k = 'not an import';",
      "export type L = 'a' | 'b';",
      "import { z } from 'zod/v4';",
    ].join('\n');
    assert.deepEqual(codeImports(source), ['./multi-line', './namespace', './default-and-named', './side-effect', './re-export', './star', 'zod/v4']);
  });

  it('are all the modules of ours that the real workflow bundle holds, no more and no fewer', async () => {
    const code = await cachedWorkflowBundle();
    assert.ok('codePath' in code, 'the cache is writable here');
    assert.deepEqual(bundledModules(readFileSync(code.codePath, 'utf8')).sort(), workflowSources(WORKFLOWS_PATH, NODE_MODULES).files);
  });
});

describe('the workflow bundle cache', () => {
  it('builds a bundle once, reuses it untouched, and builds a new one beside it when a source changes', async () => {
    const { entry, write } = workflowPackage('cache');
    const cacheDir = join(dir, 'cache-files');
    const built = await cachedWorkflowBundle({ entry, cacheDir });
    assert.ok('codePath' in built && built.built);
    const bundle = readFileSync(built.codePath, 'utf8');
    assert.ok(isWholeBundle(bundle), 'a whole bundle, ending in the source map the worker reads');
    assert.ok(bundle.includes('hello'), 'the workflow code is in it');
    const writtenAt = statSync(built.codePath).mtimeMs;

    const reused = await cachedWorkflowBundle({ entry, cacheDir });
    assert.deepEqual(reused, { key: built.key, codePath: built.codePath, built: false });
    assert.equal(statSync(built.codePath).mtimeMs, writtenAt, 'not written again');
    assert.deepEqual(readdirSync(cacheDir), [`workflow-bundle-${built.key}.js`]);

    write('greeting.ts', "export function greeting(n: number): string {\n  return `good day ${n}`;\n}\n");
    const rebuilt = await cachedWorkflowBundle({ entry, cacheDir });
    assert.ok('codePath' in rebuilt && rebuilt.built);
    assert.notEqual(rebuilt.codePath, built.codePath);
    assert.ok(readFileSync(rebuilt.codePath, 'utf8').includes('good day'), 'the changed code is in the new bundle');
    assert.deepEqual(readdirSync(cacheDir).sort(), [`workflow-bundle-${built.key}.js`, `workflow-bundle-${rebuilt.key}.js`].sort(), 'the older bundle is kept for a while');
  });

  it('gives two processes building the same bundle at once a whole file each, and leaves no temporary file', async () => {
    const { entry } = workflowPackage('race');
    const cacheDir = join(dir, 'race-files');
    const script = join(dir, 'build-bundle.ts');
    writeFileSync(script, `import { cachedWorkflowBundle } from ${JSON.stringify(join(ROOT, 'src', 'worker', 'workflow-bundle'))};\ncachedWorkflowBundle({ entry: process.argv[2], cacheDir: process.argv[3] }).then((code) => console.log(JSON.stringify(code)));\n`);
    const build = () => promisify(execFile)(process.execPath, ['--import', 'tsx', script, entry, cacheDir], { cwd: ROOT });
    const answers = (await Promise.all([build(), build()])).map(({ stdout }) => JSON.parse(stdout) as { codePath: string });
    assert.equal(answers[0]?.codePath, answers[1]?.codePath);
    assert.deepEqual(readdirSync(cacheDir), [answers[0]?.codePath.split('/').pop()]);
    assert.ok(isWholeBundle(readFileSync(answers[0]?.codePath ?? '', 'utf8')), 'a whole bundle');
  });

  it('hold no source preset, paging strategy or response parser: workflows need only the spec, and request budgets as a table', () => {
    const { files, packages } = workflowSources(WORKFLOWS_PATH, NODE_MODULES);
    const ours = files.map((file) => file.slice(ROOT.length + 1));
    const presets = ['canvas', 'oneroster', 'blackboard', 'moodle', 'generic', 'resolve-paging', 'strategy-for'].map((name) => `src/sources/${name}.ts`);
    assert.deepEqual(ours.filter((file) => presets.includes(file) || file.startsWith('src/pagination/') && file !== 'src/pagination/types.ts' || file.startsWith('src/activities/')), []);
    assert.ok(ours.includes('src/sources/preset-budgets.ts'), ours.join(', '));
    for (const parser of ['http-link-header', 'lossless-json', 'undici']) assert.ok(!(parser in packages), `${parser} in the workflow bundle`);
  });
});
