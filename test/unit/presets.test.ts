import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { credentialsFor } from '../../src/activities/credentials';
import { moodleBodyError } from '../../src/sources/moodle';
import { onerosterEnvelope } from '../../src/sources/oneroster';
import { resolvePaging } from '../../src/sources/resolve-paging';
import { parseExportSpec } from '../../src/spec/parse-spec';
import { resourceSchema, type ExportSpecInput } from '../../src/spec/export-spec';

function resolved(source: ExportSpecInput['source'], resource: Partial<ExportSpecInput['resources'][number]>) {
  const spec = parseExportSpec({ name: 't', source, resources: [{ name: 'r', path: '/r', primaryKey: ['id'], ...resource }], sink: { kind: 'duckdb', path: 'x' } });
  return resolvePaging(spec.source, spec.resources[0]!);
}

describe('source presets', () => {
  it('canvas: Link header, per_page capped at 100', () => {
    const paging = resolved({ preset: 'canvas', baseUrl: 'https://c.example.edu/api/v1' }, { pageSize: 250 });
    assert.equal(paging.pagination.type, 'link-header');
    assert.equal(paging.request.pageSize, 100);
  });

  it('edfi: key-set paging from a server token at pageSize ≤ 500, the total asked on its own; limit/offset asks it on the first page', () => {
    const paging = resolved({ preset: 'edfi', baseUrl: 'https://ods.example.org/data/v3' }, { path: '/ed-fi/students', pageSize: 1000 });
    assert.equal(paging.pagination.type, 'token-header');
    assert.equal(paging.request.pageSize, 500);
    assert.equal(paging.firstTokenFromPartitions, true, 'ODS/API 7.3 refuses pageSize without a token');
    assert.deepEqual(paging.firstQuery, {}, 'ODS/API 7.3 refuses totalCount with key-set paging');
    assert.deepEqual(paging.countQuery, { limit: '0', totalCount: 'true' });
    assert.deepEqual(paging.total, { header: 'Total-Count' });
    const offset = resolved({ preset: 'edfi', baseUrl: 'https://ods.example.org/data/v3' }, { pagination: { type: 'offset' } });
    assert.equal(offset.strategy.requestUrl(offset.request, null), 'https://ods.example.org/data/v3/r?limit=500&offset=0');
    assert.deepEqual(offset.firstQuery, { totalCount: 'true' });
    assert.equal(offset.firstTokenFromPartitions, undefined);
    assert.equal(offset.countQuery, undefined);
  });

  it('oneroster: limit/offset at 100 with X-Total-Count, records in the collection envelope', () => {
    const paging = resolved({ preset: 'oneroster', baseUrl: 'https://sis/ims/oneroster/rostering/v1p2' }, { path: '/classes/c1/students' });
    assert.deepEqual(paging.pagination, { type: 'offset', offsetParam: 'offset', limitParam: 'limit', recordsPath: 'users', stopOnShortPage: false });
    assert.equal(paging.request.pageSize, 100);
    assert.equal(onerosterEnvelope(resourceSchema.parse({ name: 'c', path: '/academicSessions', primaryKey: ['sourcedId'] })), 'academicSessions');
  });

  it('blackboard: results and paging.nextPage, limit capped at 100', () => {
    const paging = resolved({ preset: 'blackboard', baseUrl: 'https://learn.example.edu' }, { pageSize: 500 });
    assert.equal(paging.pagination.type, 'body-link');
    assert.equal(paging.request.pageSize, 100);
    const page = paging.strategy.parse({ url: 'https://learn.example.edu/learn/api/public/v1/users?limit=100', headers: {}, body: { results: [{ id: '_1_1' }], paging: { nextPage: '/learn/api/public/v1/users?offset=100' } } });
    assert.deepEqual(page.next, { kind: 'url', url: 'https://learn.example.edu/learn/api/public/v1/users?offset=100' });
  });

  it('moodle: limitfrom/limitnumber as options of the enrolled-users function, short page ends, JSON format asked', () => {
    const paging = resolved({ preset: 'moodle', baseUrl: 'https://moodle.example.edu', auth: { queryTokenEnv: 'MOODLE_TOKEN' } }, { path: '/webservice/rest/server.php', query: { wsfunction: 'core_enrol_get_enrolled_users', courseid: 2 } });
    const url = new URL(paging.strategy.requestUrl(paging.request, null));
    assert.deepEqual([...url.searchParams], [
      ['moodlewsrestformat', 'json'], ['options[limitfrom][name]', 'limitfrom'], ['options[limitnumber][name]', 'limitnumber'],
      ['wsfunction', 'core_enrol_get_enrolled_users'], ['courseid', '2'], ['options[limitnumber][value]', '100'], ['options[limitfrom][value]', '0'],
    ]);
    const short = paging.strategy.parse({ url: url.toString(), headers: {}, body: [{ id: 1 }] });
    assert.equal(short.next, null);
  });

  it('moodle: a function without paging is one request with no paging parameters', () => {
    const paging = resolved({ preset: 'moodle', baseUrl: 'https://moodle.example.edu', auth: { queryTokenEnv: 'MOODLE_TOKEN' } }, { path: '/webservice/rest/server.php', query: { wsfunction: 'core_course_get_courses' } });
    const url = paging.strategy.requestUrl(paging.request, null);
    assert.equal(url, 'https://moodle.example.edu/webservice/rest/server.php?moodlewsrestformat=json&wsfunction=core_course_get_courses');
    assert.equal(paging.strategy.parse({ url, headers: {}, body: [{ id: 1 }, { id: 2 }] }).next, null);
  });

  it("moodle: 200 error bodies are errors, classified by errorcode", () => {
    assert.deepEqual(moodleBodyError({ exception: 'moodle_exception', errorcode: 'invalidtoken', message: 'Invalid token - token not found' }), {
      retryable: false, type: 'Unauthorized', message: 'Moodle invalidtoken (moodle_exception): Invalid token - token not found',
    });
    assert.equal(moodleBodyError({ exception: 'dml_read_exception', errorcode: 'dmlreadexception' })?.retryable, true);
    assert.equal(moodleBodyError([{ id: 1 }]), undefined);
    assert.equal(moodleBodyError({ id: 1, exception: 'not really' }), undefined);
  });
});

describe('credentials', () => {
  it('adds a query token only to the URL sent, and keeps it out of every URL kept', () => {
    process.env['PRESETS_TEST_TOKEN'] = 's3cret';
    const spec = parseExportSpec({ name: 't', source: { preset: 'moodle', baseUrl: 'https://m.example.edu', auth: { queryTokenEnv: 'PRESETS_TEST_TOKEN' } }, resources: [{ name: 'r', path: '/x', primaryKey: ['id'] }], sink: { kind: 'duckdb', path: 'x' } });
    const credentials = credentialsFor(spec.source);
    assert.equal(credentials.sendable('https://m.example.edu/x?a=1'), 'https://m.example.edu/x?a=1&wstoken=s3cret');
    assert.equal(credentials.keepable('https://m.example.edu/x?a=1&wstoken=s3cret'), 'https://m.example.edu/x?a=1');
    assert.equal(credentials.headers['authorization'], undefined);
  });

  it('names the unset variable, never a value', () => {
    const spec = parseExportSpec({ name: 't', source: { baseUrl: 'https://a.example.edu', auth: { bearerTokenEnv: 'PRESETS_TEST_UNSET' } }, resources: [{ name: 'r', path: '/x', primaryKey: ['id'], pagination: { type: 'offset' } }], sink: { kind: 'duckdb', path: 'x' } });
    assert.throws(() => credentialsFor(spec.source), /source\.auth\.bearerTokenEnv: environment variable PRESETS_TEST_UNSET is not set on this worker/);
  });
});
