import { relative } from 'node:path';
import { ENCRYPTED_FAILURE_CONVERTER_PATH } from '../codec/data-converter';
import { cachedWorkflowBundle, describeWorkflowCode } from './workflow-bundle';

// Plain JavaScript, shared with bin/lms-export.js (which decides without loading TypeScript).
const { prebuiltCode, ENTRIES } = require('../../bin/prebuilt-code.js') as {
  prebuiltCode(entry: string): Promise<{ path?: string; built?: boolean; reason?: string }>;
  ENTRIES: Record<string, string>;
};

/**
 * `npm run bundle-workflows`, which `npm ci` and `npm install` run through the `prepare` script and the Dockerfile
 * runs once the sources are in the image: builds the workflow bundle and our own code (worker and CLI) into the cache
 * ahead of time, so that no worker start (and no test file) waits for webpack or esbuild. Does nothing when both
 * are current. Both bundle variants are built: the plain one, and the one of workers with
 * LMS_EXPORT_ENCRYPTION_KEY (failures encrypted too).
 */
async function prebuild(): Promise<void> {
  for (const options of [{}, { failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH }]) {
    const code = await cachedWorkflowBundle(options);
    console.log(`lms-export: ${describeWorkflowCode(code)}`);
    if ('notCachedBecause' in code) process.exitCode = 1;
  }
  for (const entry of Object.keys(ENTRIES)) {
    const code = await prebuiltCode(entry);
    console.log(code.path === undefined ? `lms-export: ${entry} code not prebuilt (${code.reason})` : `lms-export: ${entry} code ${code.built ? 'built into' : 'current in'} ${relative(process.cwd(), code.path)}`);
    if (code.path === undefined) process.exitCode = 1;
  }
}

prebuild().catch((error: Error) => {
  console.error(`lms-export: bundling the workflow code failed: ${error.message}`);
  process.exitCode = 1;
});
