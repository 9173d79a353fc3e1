// The worker's own code (src/, not the packages it uses) as one prebuilt file, so that `lms-export worker` starts
// without compiling TypeScript module by module: a worker restarted after a crash polls about a third sooner.
// Built at `npm ci` (the `prepare` script) or at the first start after a source changed; plain JavaScript, because
// deciding whether the build is current must not itself load the TypeScript compiler.
const { createHash, randomBytes } = require('node:crypto');
const { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');

const PROJECT_ROOT = join(__dirname, '..');
const ENTRY = join(PROJECT_ROOT, 'src', 'client', 'worker.ts');
const CACHE_DIR = join(PROJECT_ROOT, 'node_modules', '.cache', 'lms-export');
/** One build per checkout: two checkouts sharing the packages keep theirs apart. */
const CHECKOUT = createHash('sha256').update(PROJECT_ROOT).digest('hex').slice(0, 12);
const MANIFEST = join(CACHE_DIR, `worker-code-${CHECKOUT}.json`);

const digestOf = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The manifest's build, when every source it was built from is unchanged. */
function currentBuild() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
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

/** Builds the worker's code into the cache and returns its path (esbuild, which tsx itself runs on). */
async function build() {
  const esbuild = require('esbuild');
  mkdirSync(CACHE_DIR, { recursive: true });
  const output = `worker-${CHECKOUT}-${randomBytes(4).toString('hex')}.js`;
  const result = await esbuild.build({
    entryPoints: [ENTRY],
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
  const previous = currentManifestOutput();
  const temporary = `${MANIFEST}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify({ entry: relative(PROJECT_ROOT, ENTRY), output, inputs }, null, 1));
  renameSync(temporary, MANIFEST);
  // A worker that started on the previous build has it loaded already.
  if (previous !== undefined && previous !== output) rmSync(join(CACHE_DIR, previous), { force: true });
  return join(CACHE_DIR, output);
}

function currentManifestOutput() {
  try {
    return JSON.parse(readFileSync(MANIFEST, 'utf8')).output;
  } catch {
    return undefined;
  }
}

/**
 * The path of the worker's prebuilt code, built now if a source changed since; `undefined` with the reason when
 * it cannot be (a read-only install), and the caller runs the sources through tsx instead.
 */
async function workerCode() {
  const current = currentBuild();
  if (current !== undefined) return { path: current, built: false };
  try {
    return { path: await build(), built: true };
  } catch (error) {
    return { path: undefined, reason: error instanceof Error ? error.message : String(error) };
  }
}

module.exports = { workerCode, CACHE_DIR, PROJECT_ROOT };
