#!/usr/bin/env node
const [verb, ...rest] = process.argv.slice(2);

/** The operator's verbs run the TypeScript sources through tsx, so there is no build step between a checkout and a run. */
function fromSources(module) {
  require('tsx/cjs/api').register();
  return require(module);
}

function failed(error) {
  console.error(`lms-export: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}

if (verb === 'worker' && rest.length === 0) {
  // A worker runs its prebuilt code (worker-code.js) and loads nothing of the other verbs: restarted, it polls sooner.
  // No source maps: enabling them makes Node read the map of every package module it loads (about 0.3 s of CPU);
  // the prebuilt file is not minified and names each source file above its code.
  require('./worker-code.js')
    .workerCode()
    .then(({ path, built, reason }) => {
      if (path === undefined) return fromSources('../src/client/worker.ts').runWorkerProcess(`worker code from the sources (not prebuilt: ${reason})`);
      const shown = require('node:path').relative(process.cwd(), path);
      return require(path).runWorkerProcess(`worker code from the ${built ? 'build just made' : 'prebuilt file'} ${shown}`);
    })
    .catch(failed);
} else {
  fromSources('../src/client/cli.ts')
    .main(process.argv)
    .catch((error) => {
      console.error(error);
      process.exit(2);
    });
}
