import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { readRequestQueueMemo, REQUEST_QUEUE_MEMO, requestQueueBudget, sourceRequestBudget, sourceRequestQueue } from '../../src/sources/request-budget';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { parseExportSpec, SpecError } from '../../src/spec/parse-spec';

function sourceOf(source: ExportSpecInput['source']) {
  return parseExportSpec({ name: 't', source, resources: [{ name: 'r', path: '/r', primaryKey: ['id'], pagination: { type: 'offset' } }], sink: { kind: 'duckdb', path: 'x' } }).source;
}

describe('per-source request budget', () => {
  it('takes the preset\'s defaults where the spec says nothing, and each field the spec sets', () => {
    assert.deepEqual(sourceRequestBudget(sourceOf({ preset: 'moodle', baseUrl: 'https://m.example.edu/webservice/rest/server.php' })), {
      requestsPerSecond: 5,
      concurrentRequestsPerWorker: 4,
    });
    assert.deepEqual(sourceRequestBudget(sourceOf({ preset: 'canvas', baseUrl: 'https://c.example.edu/api/v1', requestBudget: { requestsPerSecond: 2.5 } })), {
      requestsPerSecond: 2.5,
      concurrentRequestsPerWorker: 10,
    });
    assert.deepEqual(sourceRequestBudget(sourceOf({ baseUrl: 'https://api.example.org', requestBudget: { concurrentRequestsPerWorker: 1 } })), {
      requestsPerSecond: 10,
      concurrentRequestsPerWorker: 1,
    });
  });

  it('names the queue after the source host, so exports of one host share it and other hosts do not', () => {
    const canvas = sourceOf({ preset: 'canvas', baseUrl: 'https://School.Instructure.com/api/v1' });
    assert.equal(sourceRequestQueue('lms-export', canvas), 'lms-export-requests-school.instructure.com');
    assert.equal(sourceRequestQueue('lms-export', { baseUrl: 'https://school.instructure.com/api/v1/accounts' }), 'lms-export-requests-school.instructure.com');
    assert.equal(sourceRequestQueue('q', { baseUrl: 'http://127.0.0.1:8080/data/v3' }), 'q-requests-127.0.0.1_8080');
    assert.notEqual(sourceRequestQueue('q', { baseUrl: 'http://127.0.0.1:8081' }), sourceRequestQueue('q', { baseUrl: 'http://127.0.0.1:8080' }));
  });

  it('refuses a budget that cannot work, naming the field', () => {
    for (const requestBudget of [{ requestsPerSecond: 0 }, { concurrentRequestsPerWorker: 1.5 }, { requestsPerSecond: 5, burst: 3 }]) {
      assert.throws(
        () => sourceOf({ baseUrl: 'https://api.example.org', requestBudget } as ExportSpecInput['source']),
        (error: unknown) => error instanceof SpecError && /source\.requestBudget/.test(error.message),
        JSON.stringify(requestBudget),
      );
    }
  });

  it('reads back the memo a run writes, and ignores anything else found there', () => {
    const budget = requestQueueBudget('lms-export', sourceOf({ preset: 'edfi', baseUrl: 'https://ods.example.org/data/v3' }));
    assert.deepEqual(readRequestQueueMemo({ [REQUEST_QUEUE_MEMO]: budget }), budget);
    assert.equal(readRequestQueueMemo(undefined), undefined);
    assert.equal(readRequestQueueMemo({ [REQUEST_QUEUE_MEMO]: { queue: 'q', requestsPerSecond: 0, concurrentRequestsPerWorker: 1 } }), undefined);
    assert.equal(readRequestQueueMemo({ owner: 'someone' }), undefined);
  });
});
