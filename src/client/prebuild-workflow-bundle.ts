import { cachedWorkflowBundle, describeWorkflowCode } from './workflow-bundle';

/**
 * `npm run bundle-workflows`, which `npm ci` and `npm install` run through the `prepare` script and the Dockerfile
 * runs once the sources are in the image: builds the workflow bundle into the cache ahead of time, so that no
 * worker start (and no test file) waits for webpack. Does nothing when the cached bundle is current.
 */
cachedWorkflowBundle().then(
  (code) => {
    console.log(`lms-export: ${describeWorkflowCode(code)}`);
    if ('notCachedBecause' in code) process.exitCode = 1;
  },
  (error: Error) => {
    console.error(`lms-export: bundling the workflow code failed: ${error.message}`);
    process.exitCode = 1;
  },
);
