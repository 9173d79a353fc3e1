import { ENCRYPTED_FAILURE_CONVERTER_PATH } from '../codec/data-converter';
import { cachedWorkflowBundle, describeWorkflowCode } from './workflow-bundle';

/**
 * `npm run bundle-workflows`, which `npm ci` and `npm install` run through the `prepare` script and the Dockerfile
 * runs once the sources are in the image: builds the workflow bundle into the cache ahead of time, so that no
 * worker start (and no test file) waits for webpack. Does nothing when the cached bundle is current. Both variants
 * are built: the plain one, and the one of workers with LMS_EXPORT_ENCRYPTION_KEY (failures encrypted too).
 */
async function prebuild(): Promise<void> {
  for (const options of [{}, { failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH }]) {
    const code = await cachedWorkflowBundle(options);
    console.log(`lms-export: ${describeWorkflowCode(code)}`);
    if ('notCachedBecause' in code) process.exitCode = 1;
  }
}

prebuild().catch((error: Error) => {
  console.error(`lms-export: bundling the workflow code failed: ${error.message}`);
  process.exitCode = 1;
});
