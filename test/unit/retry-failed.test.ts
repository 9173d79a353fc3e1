import assert from 'node:assert/strict';
import { it } from '@jest/globals';
import { retryFailedSpec } from '../../src/cli/retry-failed';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { parseExportSpec } from '../../src/spec/parse-spec';
import type { RunReport } from '../../src/workflows/report';

const spec: ExportSpecInput = {
  name: 'nightly',
  source: { preset: 'canvas', baseUrl: 'https://school.instructure.com/api/v1' },
  resources: [
    { name: 'courses', path: '/courses', primaryKey: ['id'] },
    { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id' } },
    { name: 'assignments', path: '/courses/{course_id}/assignments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id' } },
  ],
  sink: { kind: 'duckdb', path: 'x.duckdb' },
};

const report = (failed: Record<string, string[]>) =>
  ({
    workflowId: 'export-nightly',
    resources: spec.resources.map((r) => ({
      resource: r.name,
      parents: failed[r.name] ? { done: 9, gone: [], failed: failed[r.name]!.map((key) => ({ key, reason: '500' })), goneCount: 0, failedCount: failed[r.name]!.length } : undefined,
    })),
  }) as unknown as RunReport;

it('re-runs only the failed parent keys, reading the parents from the sink, as a valid spec', () => {
  const retry = retryFailedSpec(spec, report({ enrollments: ['7', '12'] }));
  assert.deepEqual(retry.resources.map((r) => [r.name, r.parent?.from, r.parent?.keys]), [['enrollments', 'sink', ['7', '12']]]);
  assert.doesNotThrow(() => parseExportSpec(retry));
  assert.throws(() => retryFailedSpec(spec, report({})), /has no failed parent keys to retry/);
});
