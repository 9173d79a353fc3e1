import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { parseExportSpec } from '../../src/spec/parse-spec';
import { specRejection as rejection } from '../helpers/specs';

const valid: ExportSpecInput = {
  name: 'canvas-nightly',
  source: { preset: 'canvas', baseUrl: 'http://127.0.0.1:4010/api/v1', auth: { bearerTokenEnv: 'CANVAS_TOKEN' } },
  resources: [{ name: 'enrollments', path: '/courses/1/enrollments', primaryKey: ['id'], pageSize: 100, pagination: { type: 'link-header' } }],
  sink: { kind: 'duckdb', path: './data/lms.duckdb' },
};

function withChange(change: (spec: Record<string, any>) => void): unknown {
  const spec = structuredClone(valid) as Record<string, any>;
  change(spec);
  return spec;
}

describe('ExportSpec validation', () => {
  it('accepts the documented example and fills defaults', () => {
    const spec = parseExportSpec(valid);
    assert.equal(spec.source.connectTimeoutMs, 10_000);
    assert.deepEqual(spec.resources[0]?.pagination, { type: 'link-header', pageSizeParam: 'per_page' });
  });

  const cases: Array<[string, unknown, RegExp]> = [
    ['a missing primary key', withChange((s) => delete s.resources[0].primaryKey), /resources\[0\]\.primaryKey: required/],
    ['an empty primary key', withChange((s) => (s.resources[0].primaryKey = [])), /resources\[0\]\.primaryKey: needs at least one field/],
    ['an unknown pagination type', withChange((s) => (s.resources[0].pagination.type = 'links')), /resources\[0\]\.pagination\.type: expected one of link-header, json-cursor, offset, page-number, keyset, token-header, body-link; got "links"/],
    ['a relative base URL', withChange((s) => (s.source.baseUrl = 'canvas.example.edu/api/v1')), /source\.baseUrl: expected an absolute http\(s\) URL/],
    ['a token in the spec instead of an env var name', withChange((s) => (s.source.auth.bearerTokenEnv = '7~abc token')), /source\.auth\.bearerTokenEnv: expected an environment variable name/],
    ['a password in a Postgres URL', withChange((s) => (s.sink = { kind: 'postgres', url: 'postgres://etl:hunter2@db/lms' })), /sink\.url: holds a password/],
    ['an unknown sink kind', withChange((s) => (s.sink = { kind: 'mysql', path: 'x' })), /sink\.kind: expected one of duckdb, postgres; got "mysql"/],
    ['no resources', withChange((s) => (s.resources = [])), /resources: needs at least one resource/],
    ['a resource name that is not a table name', withChange((s) => (s.resources[0].name = 'Enroll-ments')), /resources\[0\]\.name: expected a lowercase identifier/],
    ['a duplicate resource name', withChange((s) => s.resources.push({ ...s.resources[0] })), /resources\[1\]\.name: duplicate resource name "enrollments"/],
    ['a generic source without pagination', withChange((s) => { s.source.preset = 'generic'; delete s.resources[0].pagination; }), /resources\[0\]\.pagination: required for preset generic/],
    ['a json cursor with nowhere to find the next page', withChange((s) => (s.resources[0].pagination = { type: 'json-cursor' })), /resources\[0\]\.pagination\.nextCursorPath: json-cursor needs nextCursorPath or nextUrlPath/],
    ['a misspelt field', withChange((s) => (s.resources[0].primaryKeys = ['id'])), /resources\[0\]: unknown field\(s\) "primaryKeys"/],
    ['a page size of zero', withChange((s) => (s.resources[0].pageSize = 0)), /resources\[0\]\.pageSize: /],
    ['two ways to send the token', withChange((s) => (s.source.auth.queryTokenEnv = 'MOODLE_TOKEN')), /source\.auth\.bearerTokenEnv: needs exactly one of bearerTokenEnv or queryTokenEnv/],
    ['a keyset with a parameter missing for a field', withChange((s) => (s.resources[0].pagination = { type: 'keyset', fields: ['updated_at', 'id'], params: ['after_id'] })), /resources\[0\]\.pagination\.params: needs one query parameter per key field/],
    ['an unknown preset', withChange((s) => (s.source.preset = 'schoology')), /source\.preset: Invalid option: expected one of "canvas"\|"edfi"\|"oneroster"\|"blackboard"\|"moodle"\|"generic"; got "schoology"/],
    ['partitions on a source without them', withChange((s) => (s.resources[0].partitions = { count: 4 })), /resources\[0\]\.partitions: needs preset edfi with its token-header paging, or keyset paging on one field/],
    ['an incremental resource without a change filter', withChange((s) => (s.resources[0].incremental = { cursorField: 'updated_at' })), /resources\[0\]\.incremental: needs updateScan\.sinceParam/],
    ['a deletion-scan cadence that is not a duration', withChange((s) => (s.resources[0].deletionScan = { every: 'daily' })), /resources\[0\]\.deletionScan\.every: expected a duration like 24h/],
    ['a schema name that does not exist', withChange((s) => (s.resources[0].schema = 'canvas.grades')), /resources\[0\]\.schema: /],
    ['a declared field of an unknown type', withChange((s) => (s.resources[0].schema = { required: { id: 'uuid' } })), /resources\[0\]\.schema/],
    ['a missing name', withChange((s) => delete s.name), /^ {2}name: required$/m],
  ];
  for (const [what, input, expected] of cases) {
    it(`rejects ${what}, naming the field`, () => assert.match(rejection(input), expected));
  }

  it('reports every problem at once', () => {
    const message = rejection(withChange((s) => { delete s.resources[0].path; s.sink = { kind: 'duckdb' }; }));
    assert.match(message, /resources\[0\]\.path: required/);
    assert.match(message, /sink\.path: required/);
  });
});
