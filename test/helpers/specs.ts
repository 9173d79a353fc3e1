import assert from 'node:assert/strict';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { parseExportSpec, SpecError } from '../../src/spec/parse-spec';

export const TOKEN_ENV = 'LMS_EXPORT_TEST_TOKEN';

/** A spec over the simulator's Canvas users (bookmark pages) and generic JSON-cursor records. */
export function simulatorSpec(name: string, simulatorUrl: string, sink: ExportSpecInput['sink'], overrides: Partial<ExportSpecInput> = {}): ExportSpecInput {
  return {
    name,
    source: { preset: 'canvas', baseUrl: `${simulatorUrl}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV } },
    resources: [{ name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 100 }],
    sink,
    execution: { activityTimeoutSeconds: 10, maxAttempts: 5 },
    ...overrides,
  };
}

/** The message a spec is refused with; fails the test when the spec is accepted. */
export function specRejection(input: unknown): string {
  try {
    parseExportSpec(input);
  } catch (error) {
    assert.ok(error instanceof SpecError);
    return error.message;
  }
  assert.fail('the spec was accepted');
}
