import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { metricTagsOf, scopeOf } from '../../src/activities/activity-scope';
import { outcomeOf } from '../../src/activities/export-metrics';
import { metricsBindAddress } from '../../src/client/settings';

describe('LMS_EXPORT_METRICS_PORT', () => {
  it('is off when unset, a port on every interface, or host:port', () => {
    assert.equal(metricsBindAddress({}), undefined);
    assert.equal(metricsBindAddress({ LMS_EXPORT_METRICS_PORT: '9464' }), '0.0.0.0:9464');
    assert.equal(metricsBindAddress({ LMS_EXPORT_METRICS_PORT: '127.0.0.1:9464' }), '127.0.0.1:9464');
  });

  for (const value of ['0', '65536', 'ninety', '9464x', ':9464', '1.5']) {
    it(`refuses "${value}", naming the variable and the forms it takes`, () => {
      assert.throws(() => metricsBindAddress({ LMS_EXPORT_METRICS_PORT: value }), new RegExp(`LMS_EXPORT_METRICS_PORT must be a port number from 1 to 65535 \\(e\\.g\\. 9464\\), or host:port \\(e\\.g\\. 127\\.0\\.0\\.1:9464\\); got "${value.replace('.', '\\.')}"`));
    });
  }
});

describe('the labels of our metrics', () => {
  it('name the spec, the resource and the source host of an activity, and never a path, query or token', () => {
    const input = {
      spec: 'nightly',
      traversal: 'submissions/course_id=7',
      resource: { name: 'submissions', path: '/courses/7/submissions' },
      source: { baseUrl: 'https://canvas.example.edu:8443/api/v1?access_token=abc' },
      pageNumber: 4,
      cursor: { kind: 'url', url: 'https://canvas.example.edu/api/v1/x?page=bookmark:abc' },
    };
    assert.deepEqual(scopeOf(input), { spec: 'nightly', resource: 'submissions', sourceHost: 'canvas.example.edu:8443', page: 4 });
    assert.deepEqual(metricTagsOf(scopeOf(input)), { spec: 'nightly', resource: 'submissions', source_host: 'canvas.example.edu:8443' });
  });

  it('are empty for an input without them', () => {
    assert.deepEqual(scopeOf(undefined), {});
    assert.deepEqual(scopeOf({ sink: { kind: 'postgres' }, resource: 'users' }), { resource: 'users' });
  });

  it('class requests by status, and by network when no answer came', () => {
    assert.deepEqual([200, 204, 304, 429, 404, 500, 503, undefined].map(outcomeOf), ['2xx', '2xx', '3xx', '4xx', '4xx', '5xx', '5xx', 'network']);
  });
});
