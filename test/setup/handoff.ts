// What jest's setup (this folder) and the test files' helpers agree on. No imports: the test files load it too.

/** The run's workflow bundle files, built once by globalSetup (bundle-workflows.ts): the plain variant… */
export const WORKFLOW_BUNDLE_ENV = 'LMS_EXPORT_TEST_WORKFLOW_BUNDLE';
/** …and the one of workers with encryption keys, whose failures are encrypted too. */
export const ENCRYPTED_WORKFLOW_BUNDLE_ENV = 'LMS_EXPORT_TEST_WORKFLOW_BUNDLE_ENCRYPTED';

/** Where test/helpers/temporal.ts leaves the Runtime class of its file's @temporalio/worker, for temporal-environment.ts. */
export const TEMPORAL_RUNTIME_SLOT = Symbol.for('lms-export.test.temporal-runtime');
