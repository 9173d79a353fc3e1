import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { assertSpecSize, isPayloadTooLarge, MAX_SPEC_BYTES, SpecTooLargeError } from '../../src/client/spec-size';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { parseExportSpec } from '../../src/spec/parse-spec';
import { specRejection as rejection } from '../helpers/specs';
import { MAX_PARTITIONS_PER_SPEC, MAX_RESOURCES_PER_SPEC } from '../../src/spec/run-limits';

type Resource = ExportSpecInput['resources'][number];

function specWith(resources: Resource[], preset: ExportSpecInput['source']['preset'] = 'canvas'): ExportSpecInput {
  return {
    name: 'limits',
    source: { preset, baseUrl: 'http://127.0.0.1:4010/api/v1', auth: { bearerTokenEnv: 'CANVAS_TOKEN' } },
    resources,
    sink: { kind: 'duckdb', path: './data/lms.duckdb' },
  };
}

function users(count: number): Resource[] {
  return Array.from({ length: count }, (_, i) => ({ name: `users_${i}`, path: '/accounts/1/users', primaryKey: ['id'] }));
}

describe('the resource cap', () => {
  it(`accepts ${MAX_RESOURCES_PER_SPEC} resources`, () => {
    assert.equal(parseExportSpec(specWith(users(MAX_RESOURCES_PER_SPEC))).resources.length, MAX_RESOURCES_PER_SPEC);
  });

  it(`refuses ${MAX_RESOURCES_PER_SPEC + 1}, naming the field, the count and the cap, and saying to split the spec`, () => {
    const message = rejection(specWith(users(MAX_RESOURCES_PER_SPEC + 1)));
    assert.match(message, new RegExp(`^ {2}resources: has ${MAX_RESOURCES_PER_SPEC + 1} resources, over the cap of ${MAX_RESOURCES_PER_SPEC} per spec`, 'm'));
    assert.match(message, /split it into several specs \(one per school.*or run them on a schedule each/);
  });

  it(`refuses more than ${MAX_PARTITIONS_PER_SPEC} partitions over all resources, and accepts that many`, () => {
    const partitioned = (counts: number[]): Resource[] =>
      counts.map((count, i) => ({ name: `students_${i}`, path: '/ed-fi/students', primaryKey: ['id'], partitions: { count } }));
    assert.doesNotThrow(() => parseExportSpec(specWith(partitioned([150, 50]), 'edfi')));
    const message = rejection(specWith(partitioned([150, 51]), 'edfi'));
    assert.match(message, new RegExp(`resources: asks for 201 partitions in all, over the cap of ${MAX_PARTITIONS_PER_SPEC} per spec.*lower partitions\\.count`));
  });
});

describe('primary-key columns', () => {
  const keyed = (primaryKey: string[]) => specWith([{ name: 'users', path: '/accounts/1/users', primaryKey }]);

  it('refuses key fields equal but for case, which DuckDB would make one column', () => {
    assert.match(rejection(keyed(['id', 'ID'])), /resources\[0\]\.primaryKey\[1\]: "ID" and "id" differ only in case, and DuckDB column names ignore case.*list each field once/);
  });

  it('refuses a key field listed twice', () => {
    assert.match(rejection(keyed(['id', 'sis_id', 'id'])), /resources\[0\]\.primaryKey\[2\]: "id" is listed twice/);
  });

  it('refuses two long key fields PostgreSQL would cut to the same column name', () => {
    const stem = 'a'.repeat(63);
    assert.match(rejection(keyed([`${stem}1`, `${stem}2`])), /resources\[0\]\.primaryKey\[1\]: .* share their first 63 characters, where PostgreSQL cuts column names/);
  });

  it('refuses a key field named like a system column (_key, _record, _hash, …)', () => {
    for (const system of ['_key', '_record', '_hash', '_first_run', '_last_run', '_deleted_at']) {
      assert.match(rejection(keyed(['id', system])), /resources\[0\]\.primaryKey\[1\]: expected a field name like id/, system);
    }
  });

  it('accepts distinct key fields', () => {
    assert.deepEqual(parseExportSpec(keyed(['school_id', 'student_id'])).resources[0]?.primaryKey, ['school_id', 'student_id']);
  });
});

describe('the spec size limit', () => {
  const withKeys = (keyCount: number) =>
    specWith([
      { name: 'courses', path: '/courses', primaryKey: ['id'] },
      { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], parent: { resource: 'courses', as: 'course_id', keys: Array.from({ length: keyCount }, (_, i) => String(100_000 + i)) } },
    ]);

  it('refuses a spec over the limit before starting, naming its size and its biggest part', () => {
    const spec = withKeys(80_000);
    assert.doesNotThrow(() => parseExportSpec(spec), 'the spec itself is valid');
    assert.throws(() => assertSpecSize(spec), (error: unknown) => {
      assert.ok(error instanceof SpecTooLargeError);
      assert.ok(error.bytes > MAX_SPEC_BYTES);
      assert.match(error.message, /^spec is too large to start: \d+\.\d KiB of JSON, over the 512\.0 KiB a run's input may hold/);
      assert.match(error.message, /The biggest parts: resources\[1\]\.parent\.keys \(\d+\.\d KiB\)/);
      assert.match(error.message, /split the keys or resources over several specs/);
      return true;
    });
  });

  it('lets a spec under the limit through', () => {
    assert.doesNotThrow(() => assertSpecSize(withKeys(1_000)));
  });

  it("recognises the server's refusal of a payload over its blob limit, wrapped or not", () => {
    const grpc = Object.assign(new Error('3 INVALID_ARGUMENT: Blob data size exceeds limit.'), { code: 3, details: 'Blob data size exceeds limit.' });
    assert.ok(isPayloadTooLarge(new Error('Failed to start Workflow', { cause: grpc })));
    assert.ok(!isPayloadTooLarge(new Error('Failed to start Workflow', { cause: new Error('14 UNAVAILABLE: No connection established') })));
  });
});
