#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx, so there is no build step between a checkout and a run.
require('tsx/cjs/api').register();
require('../src/client/cli.ts')
  .main(process.argv)
  .catch((error) => {
    console.error(error);
    process.exit(2);
  });
