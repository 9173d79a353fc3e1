import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENCRYPTED_FAILURE_CONVERTER_PATH } from '../../src/codec/data-converter';
import { cachedWorkflowBundle, describeWorkflowCode, type WorkflowCode } from '../../src/worker/workflow-bundle';
import { ENCRYPTED_WORKFLOW_BUNDLE_ENV, WORKFLOW_BUNDLE_ENV } from './handoff';

/**
 * jest's globalSetup: the workflow code of the sources under test, both variants (plain, and with the encrypted
 * failure converter), built once before any test file runs (or found in the cache `npm ci` filled), their paths
 * passed on in the environment. Every test file's workers (test/helpers/temporal.ts `workflowBundle()`) then load the
 * same files, and none waits for webpack or hashes the sources again.
 */
export default async function bundleWorkflows(): Promise<void> {
  const [plain, encrypted] = await Promise.all([cachedWorkflowBundle(), cachedWorkflowBundle({ failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH })]);
  for (const code of [plain, encrypted]) if (code.built) console.log(`\n${describeWorkflowCode(code)}`);
  process.env[WORKFLOW_BUNDLE_ENV] = bundlePath(plain, 'plain');
  process.env[ENCRYPTED_WORKFLOW_BUNDLE_ENV] = bundlePath(encrypted, 'encrypted');
}

/** The bundle's file; a bundle the cache could not keep (read-only node_modules) is written to a folder of the run. */
function bundlePath(code: WorkflowCode, variant: string): string {
  if ('codePath' in code) return code.codePath;
  const path = join(mkdtempSync(join(tmpdir(), 'lms-workflow-bundle-')), `workflow-bundle-${variant}-${code.key}.js`);
  writeFileSync(path, code.code);
  return path;
}
