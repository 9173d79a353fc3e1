import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from '@jest/globals';
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, RetryState } from '@temporalio/common';
import { classifyResponse, type ResponseFacts } from '../../src/activities/classify-response';
import { failure, FailureType, FINAL, isFinal, parentGone, rootCauseMessage, rootFailure } from '../../src/failures';

const SRC = join(__dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** An activity's failure as a workflow sees it under a child workflow: two wrappers around what went wrong. */
function wrapped(cause: ApplicationFailure): ChildWorkflowFailure {
  const activity = new ActivityFailure('activity failed', 'fetchPage', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', cause);
  return new ChildWorkflowFailure('default', { workflowId: 'w', runId: 'r' }, 'exportResource', RetryState.NON_RETRYABLE_FAILURE, activity);
}

const facts = (status: number): ResponseFacts => ({ status, headers: {}, bodyText: '{"errors":[{"message":"nope"}]}', method: 'GET', path: '/api/v1/courses/7/enrollments', tokenEnv: 'CANVAS_TOKEN', now: 0 });

describe('the failure vocabulary', () => {
  it('tells 401 from 403 by type, so no caller reads the message', () => {
    const unauthorized = classifyResponse(facts(401));
    const forbidden = classifyResponse(facts(403));
    assert.equal(unauthorized.kind === 'fatal' && unauthorized.type, FailureType.Unauthorized);
    assert.equal(forbidden.kind === 'fatal' && forbidden.type, FailureType.Forbidden);
  });

  it('finds the failure under activity and child-workflow wrappers, and its message', () => {
    const error = wrapped(failure(FailureType.NotFound, '404 on GET /api/v1/courses/7/enrollments'));
    assert.equal(rootFailure(error)?.type, FailureType.NotFound);
    assert.equal(rootCauseMessage(error), '404 on GET /api/v1/courses/7/enrollments');
    assert.equal(rootFailure(new Error('plain')), undefined);
  });

  it('counts a parent as gone on 404 and 403 only, reading the runs recorded before 401 and 403 were apart', () => {
    assert.equal(parentGone(wrapped(failure(FailureType.NotFound, '404 on …'))), true);
    assert.equal(parentGone(wrapped(failure(FailureType.Forbidden, '403 on …'))), true);
    assert.equal(parentGone(wrapped(failure(FailureType.Unauthorized, '401 on …'))), false, 'a bad token fails the parent: it is not gone');
    assert.equal(parentGone(wrapped(failure(FailureType.ServerError, '500 on …'))), false);
    assert.equal(parentGone(wrapped(ApplicationFailure.nonRetryable('403 on GET /x: closed', 'AuthRejected'))), true);
    assert.equal(parentGone(wrapped(ApplicationFailure.nonRetryable('401 on GET /x: bad token', 'AuthRejected'))), false);
  });

  it('decides retryable or final in one place', () => {
    for (const type of Object.values(FailureType)) assert.equal(failure(type, 'm').nonRetryable, FINAL.has(type), type);
    assert.equal(isFinal(FailureType.Throttled), false);
    assert.equal(isFinal(FailureType.CursorExpired), true);
    assert.equal(isFinal(undefined), false);
  });

  it('is the only place a failure type is spelled: no call site raises or compares a literal type', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      if (file === join(SRC, 'failures.ts')) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/ApplicationFailure\.(?:nonRetryable|retryable)\([^;]*?,\s*'([A-Z][A-Za-z]+)'/g)) offenders.push(`${relative(SRC, file)}: raises '${m[1]}'`);
      for (const m of text.matchAll(/\.type\s*[!=]==\s*'([A-Z][A-Za-z]+)'/g)) offenders.push(`${relative(SRC, file)}: compares with '${m[1]}'`);
    }
    assert.deepEqual(offenders, [], 'name the type in src/failures.ts and use FailureType.<name>');
  });
});
