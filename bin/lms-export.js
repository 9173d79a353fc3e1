#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx, so there is no build step between a checkout and a run.
require('tsx/cjs/api').register();

const [verb, ...rest] = process.argv.slice(2);
if (verb === 'worker' && rest.length === 0) {
  // A worker loads only what it runs, not the modules of every operator verb: restarted, it polls that much sooner.
  require('../src/client/worker.ts')
    .runWorkerProcess()
    .catch((error) => {
      console.error(`lms-export: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(2);
    });
} else {
  require('../src/client/cli.ts')
    .main(process.argv)
    .catch((error) => {
      console.error(error);
      process.exit(2);
    });
}
