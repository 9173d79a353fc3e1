#!/usr/bin/env node
const { relative } = require('node:path');
const { prebuiltCode } = require('./prebuilt-code.js');

const [verb, ...rest] = process.argv.slice(2);

/** Without a prebuilt file (a read-only install) the TypeScript sources run through tsx: no build step is required. */
function fromSources(module) {
  require('tsx/cjs/api').register();
  return require(module);
}

/**
 * The entry's prebuilt code (prebuilt-code.js), or its sources when it cannot be built. No source maps: enabling
 * them makes Node read the map of every package module it loads (about 0.3 s of CPU); the prebuilt file is not
 * minified and names each source file above its code.
 */
async function load(entry, sources) {
  const { path, built, reason } = await prebuiltCode(entry);
  if (path !== undefined) {
    try {
      return { code: require(path), origin: `the ${built ? 'build just made' : 'prebuilt file'} ${relative(process.cwd(), path)}` };
    } catch (error) {
      // Replaced by a newer build between reading the manifest and loading the file.
      if (error?.code !== 'MODULE_NOT_FOUND' || !String(error.message).includes(path)) throw error;
    }
  }
  return { code: fromSources(sources), origin: `the sources (not prebuilt: ${reason ?? 'replaced while loading'})` };
}

function failed(error) {
  console.error(`lms-export: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}

if (verb === 'worker' && rest.length === 0) {
  // A worker loads its own prebuilt code and nothing of the other verbs: restarted, it polls sooner.
  load('worker', '../src/worker/worker.ts')
    .then(({ code, origin }) => code.runWorkerProcess(`worker code from ${origin}`))
    .catch(failed);
} else {
  load('cli', '../src/cli/main.ts')
    .then(({ code, origin }) => code.main(process.argv, origin))
    .catch((error) => {
      console.error(error);
      process.exit(2);
    });
}
