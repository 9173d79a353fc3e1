import { relative } from 'node:path';
import { cachedWorkflowBundle, describeWorkflowCode } from './workflow-bundle';

// Plain JavaScript, shared with bin/lms-export.js (which decides without loading TypeScript).
const { workerCode } = require('../../bin/worker-code.js') as { workerCode(): Promise<{ path?: string; built?: boolean; reason?: string }> };

/**
 * `npm run bundle-workflows`, which `npm ci` and `npm install` run through the `prepare` script and the Dockerfile
 * runs once the sources are in the image: builds the workflow bundle and the worker's own code into the cache
 * ahead of time, so that no worker start (and no test file) waits for webpack or esbuild. Does nothing when both
 * are current.
 */
Promise.all([cachedWorkflowBundle(), workerCode()]).then(
  ([code, worker]) => {
    console.log(`lms-export: ${describeWorkflowCode(code)}`);
    console.log(worker.path === undefined ? `lms-export: worker code not prebuilt (${worker.reason})` : `lms-export: worker code ${worker.built ? 'built into' : 'current in'} ${relative(process.cwd(), worker.path)}`);
    if ('notCachedBecause' in code || worker.path === undefined) process.exitCode = 1;
  },
  (error: Error) => {
    console.error(`lms-export: bundling the workflow code failed: ${error.message}`);
    process.exitCode = 1;
  },
);
