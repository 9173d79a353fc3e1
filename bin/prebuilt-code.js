// Our own code (src/, not the packages it uses) prebuilt by esbuild into one file per entry point, so that neither
// `lms-export worker` nor an operator's verb compiles TypeScript module by module at every start: a restarted
// worker polls about a third sooner, and `status` answers in half the time. Built at `npm ci` (the `prepare`
// script) or at the first start after a source changed; plain JavaScript, because deciding whether a build is
// current must not itself load the TypeScript compiler.
const { createHash, randomBytes } = require('node:crypto');
const { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');

const PROJECT_ROOT = join(__dirname, '..');
/** The entry points built: the worker process, and the CLI's verbs. */
const ENTRIES = {
  worker: join(PROJECT_ROOT, 'src', 'worker', 'worker.ts'),
  cli: join(PROJECT_ROOT, 'src', 'cli', 'main.ts'),
};
const CACHE_DIR = join(PROJECT_ROOT, 'node_modules', '.cache', 'lms-export');
/** One build per checkout: two checkouts sharing the packages keep theirs apart. */
const CHECKOUT = createHash('sha256').update(PROJECT_ROOT).digest('hex').slice(0, 12);
const manifestOf = (entry) => join(CACHE_DIR, `${entry}-code-${CHECKOUT}.json`);

const digestOf = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

function readManifest(entry) {
  try {
    return JSON.parse(readFileSync(manifestOf(entry), 'utf8'));
  } catch {
    return undefined;
  }
}

/** The manifest's build, when every source it was built from is unchanged. */
function currentBuild(entry) {
  const manifest = readManifest(entry);
  if (manifest === undefined) return undefined;
  try {
    for (const [file, digest] of Object.entries(manifest.inputs)) if (digestOf(join(PROJECT_ROOT, file)) !== digest) return undefined;
  } catch {
    return undefined;
  }
  const output = join(CACHE_DIR, manifest.output);
  return existsSync(output) ? output : undefined;
}

/** Each module keeps its own `__dirname` (a bundle would otherwise give every module the bundle's folder). */
const ownDirname = {
  name: 'own-dirname',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      return { contents: source.replace(/\b__dirname\b/g, JSON.stringify(dirname(args.path))), loader: 'ts' };
    });
  },
};

/** Builds an entry's code into the cache and returns its path (esbuild, which tsx itself runs on). */
async function build(entry) {
  const esbuild = require('esbuild');
  mkdirSync(CACHE_DIR, { recursive: true });
  const output = `${entry}-${CHECKOUT}-${randomBytes(4).toString('hex')}.js`;
  const result = await esbuild.build({
    entryPoints: [ENTRIES[entry]],
    absWorkingDir: PROJECT_ROOT,
    outfile: join(CACHE_DIR, output),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    metafile: true,
    logLevel: 'error',
    plugins: [ownDirname],
  });
  const inputs = Object.fromEntries(Object.keys(result.metafile.inputs).map((file) => [file, digestOf(join(PROJECT_ROOT, file))]));
  const previous = readManifest(entry)?.output;
  const temporary = `${manifestOf(entry)}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify({ entry: relative(PROJECT_ROOT, ENTRIES[entry]), output, inputs }, null, 1));
  renameSync(temporary, manifestOf(entry));
  // A process that started on the previous build has it loaded already.
  if (previous !== undefined && previous !== output) rmSync(join(CACHE_DIR, previous), { force: true });
  return join(CACHE_DIR, output);
}

/**
 * The path of an entry's prebuilt code (`worker` or `cli`), built now if a source changed since; `undefined`
 * with the reason when it cannot be (a read-only install), and the caller runs the sources through tsx instead.
 */
async function prebuiltCode(entry) {
  if (!(entry in ENTRIES)) throw new Error(`no prebuilt entry ${entry} (one of ${Object.keys(ENTRIES).join(', ')})`);
  const current = currentBuild(entry);
  if (current !== undefined) return { path: current, built: false };
  try {
    return { path: await build(entry), built: true };
  } catch (error) {
    return { path: undefined, reason: error instanceof Error ? error.message : String(error) };
  }
}

module.exports = { prebuiltCode, CACHE_DIR, PROJECT_ROOT, ENTRIES };
