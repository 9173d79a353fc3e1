import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { ApplicationFailure } from '@temporalio/common';
import type { LogEntry } from '@temporalio/worker';
import { logLine } from '../../src/worker/log-line';
import { logFormat } from '../../src/client/settings';

const AT = BigInt(Date.parse('2026-03-01T12:00:00.000Z')) * 1_000_000n;

/** An activity's log entry as the SDK hands it over: its attributes and ours (activity-scope.ts). */
function activityEntry(meta: Record<string, unknown> = {}): LogEntry {
  return {
    level: 'WARN',
    message: 'Activity failed',
    timestampNanos: AT,
    meta: {
      sdkComponent: 'worker',
      attempt: 2,
      taskToken: 'CiQ5ZjFhYjM0Zi1hYmMx',
      workflowId: 'export-nightly-users',
      workflowRunId: '01a235ab-6f02',
      activityType: 'fetchPage',
      spec: 'nightly',
      resource: 'users',
      sourceHost: 'canvas.example.edu',
      page: 7,
      ...meta,
    },
  };
}

describe('a worker log line', () => {
  it('is one JSON object with time, level, message, the run, the resource, the page and the attempt', () => {
    const line = logLine(activityEntry(), 'json');
    assert.ok(!line.includes('\n'));
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.deepEqual(
      { time: parsed['time'], level: parsed['level'], message: parsed['message'], workflowId: parsed['workflowId'], workflowRunId: parsed['workflowRunId'], resource: parsed['resource'], page: parsed['page'], attempt: parsed['attempt'] },
      { time: '2026-03-01T12:00:00.000Z', level: 'warn', message: 'Activity failed', workflowId: 'export-nightly-users', workflowRunId: '01a235ab-6f02', resource: 'users', page: 7, attempt: 2 },
    );
  });

  it("leaves out the SDK's task token and redacts attributes named like credentials", () => {
    const line = logLine(activityEntry({ authorization: 'Bearer s3cr3t-value', accessToken: 'abc123', tokenEnv: 'CANVAS_TOKEN' }), 'json');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.equal(parsed['taskToken'], undefined);
    assert.ok(!line.includes('CiQ5ZjFhYjM0Zi1hYmMx'));
    assert.equal(parsed['authorization'], '[redacted]');
    assert.equal(parsed['accessToken'], '[redacted]');
    assert.equal(parsed['tokenEnv'], 'CANVAS_TOKEN', 'the name of the variable is not the secret');
  });

  it('masks a bearer token or a credential query parameter in any text, errors included', () => {
    const error = ApplicationFailure.create({ message: 'GET https://lms.example.edu/webservice?wstoken=abcdef&page=2 failed (Authorization: Bearer xyz.789)', type: 'NetworkError' });
    const line = logLine(activityEntry({ error }), 'json');
    assert.ok(!line.includes('abcdef') && !line.includes('xyz.789'), line);
    const logged = (JSON.parse(line) as { error: Record<string, unknown> }).error;
    assert.equal(logged['type'], 'NetworkError');
    assert.equal(logged['message'], 'GET https://lms.example.edu/webservice?wstoken=***&page=2 failed (Authorization: Bearer ***)');
  });

  it("keeps its own fields when an attribute has the same name", () => {
    const parsed = JSON.parse(logLine(activityEntry({ level: 'oops', message: 'other' }), 'json')) as Record<string, unknown>;
    assert.equal(parsed['level'], 'warn');
    assert.equal(parsed['message'], 'Activity failed');
  });

  it('reads as text for a person, with the same fields and the same masking', () => {
    const line = logLine(activityEntry(), 'text');
    assert.match(line, /^2026-03-01T12:00:00\.000Z \[WARN\] Activity failed \{.*resource: 'users'.*page: 7/);
    assert.ok(!line.includes('taskToken'));
  });
});

describe('LMS_EXPORT_LOG_FORMAT', () => {
  it('follows where the logs go when unset: text on a terminal, JSON elsewhere', () => {
    assert.equal(logFormat({}, true), 'text');
    assert.equal(logFormat({}, false), 'json');
    assert.equal(logFormat({ LMS_EXPORT_LOG_FORMAT: 'TEXT' }, false), 'text');
    assert.equal(logFormat({ LMS_EXPORT_LOG_FORMAT: 'json' }, true), 'json');
  });

  it('refuses anything else, naming the variable', () => {
    assert.throws(() => logFormat({ LMS_EXPORT_LOG_FORMAT: 'logfmt' }, true), /LMS_EXPORT_LOG_FORMAT must be one of json, text; got "logfmt"/);
  });
});
