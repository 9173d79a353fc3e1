import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import type { PageSummary } from '../../src/activities/fetch-page';
import type { PersistResult } from '../../src/sinks/sink';
import { startingTraversal } from '../../src/workflows/page-step';
import { afterParentPage, parentTraversalName } from '../../src/workflows/parent-pages';

const RESOURCE = { name: 'enrollments', maxInvalidRatio: 0.01, reconcile: true };
const URL_1 = 'https://lms.example/api/v1/courses/7/enrollments?per_page=100';

function page(overrides: Partial<PageSummary> = {}): PageSummary {
  return {
    ref: 'run/enrollments/course_id=7/1',
    pageNumber: 1,
    recordCount: 3,
    sha256: 'ab',
    requested: URL_1,
    next: null,
    positional: false,
    attempts: { retries: { ServerError: 1 }, throttled: 0, waitedMs: 400, serverWaitMs: 0, backoffMs: 400, failedRequestMs: 20 },
    ...overrides,
  };
}

function persisted(overrides: Partial<PersistResult> = {}): PersistResult {
  return { inserted: 2, updated: 1, unchanged: 0, quarantined: 0, drift: [], ...overrides };
}

describe("a parent's pages read by the fan-out", () => {
  it('finishes a parent whose first page is its last, with the counts, waits and cursors a traversal reports', () => {
    const { state, step } = afterParentPage(startingTraversal('2026-01-01T00:00:00.000Z'), page({ total: 3 }), persisted(), RESOURCE);
    assert.equal(step, 'finished');
    assert.deepEqual(
      { pages: state.pages, records: state.recordsFetched, inserted: state.inserted, updated: state.updated, unchanged: state.unchanged },
      { pages: 1, records: 3, inserted: 2, updated: 1, unchanged: 0 },
    );
    assert.deepEqual(state.waits.retries, { ServerError: 1 });
    assert.equal(state.waits.backoffMs, 400);
    assert.equal(state.waits.failedRequestMs, 20);
    assert.deepEqual([state.expectedAtStart, state.expectedAtEnd], [3, 3]);
    assert.equal(state.startCursor, URL_1);
    assert.equal(state.nextPageNumber, 2);
  });

  it('finishes an empty parent: one page of nothing', () => {
    const { state, step } = afterParentPage(startingTraversal('t'), page({ recordCount: 0 }), persisted({ inserted: 0, updated: 0 }), RESOURCE);
    assert.equal(step, 'finished');
    assert.deepEqual([state.pages, state.recordsFetched], [1, 0]);
  });

  it('hands on a parent with a next page, its cursor and page number where a child traversal goes on', () => {
    const next = { kind: 'url' as const, url: `${URL_1}&page=2` };
    const before = startingTraversal('t');
    const { state, step } = afterParentPage(before, page({ next }), persisted(), RESOURCE);
    assert.equal(step, 'has-more');
    assert.deepEqual(state.cursor, next);
    assert.equal(state.nextPageNumber, 2);
    assert.equal(state.pass, 'main');
    assert.equal(before.pages, 0, 'the state before is left as it was');
    assert.equal(state.circuit, before.circuit, 'the circuit is the breaker’s own object');
  });

  it('reads a positional source’s single page again as the reconciliation pass, counted apart', () => {
    const first = afterParentPage(startingTraversal('t'), page({ positional: true }), persisted(), RESOURCE);
    assert.equal(first.step, 'second-pass');
    assert.equal(first.state.cursor, null, 'the second pass starts over');
    assert.equal(parentTraversalName('enrollments', 'course_id=7', first.state), 'enrollments/course_id=7~reconcile');
    const second = afterParentPage(first.state, page({ positional: true, pageNumber: 2 }), persisted({ inserted: 0, unchanged: 3, updated: 0 }), RESOURCE);
    assert.equal(second.step, 'finished');
    assert.equal(second.state.pages, 1, 'the main pass counts its own page only');
    assert.deepEqual(second.state.reconciliation, { pages: 1, recordsFetched: 3, inserted: 0, updated: 0, unchanged: 3, quarantined: 0 });
    assert.equal(afterParentPage(startingTraversal('t'), page({ positional: true }), persisted(), { ...RESOURCE, reconcile: false }).step, 'finished');
  });

  it('fails the parent as a traversal fails: too many invalid records, a next link off the origin', () => {
    assert.throws(
      () => afterParentPage(startingTraversal('t'), page(), persisted({ inserted: 1, updated: 0, quarantined: 2, firstIssue: 'record 1: id missing' }), RESOURCE),
      (error: Error & { type?: string }) => error.type === 'TooManyInvalidRecords' && /2 of 3 records .* first: record 1: id missing/.test(error.message),
    );
    assert.throws(
      () => afterParentPage(startingTraversal('t'), page({ refusedNext: 'next link https://elsewhere.example/x is off the source origin' }), persisted(), RESOURCE),
      (error: Error & { type?: string }) => error.type === 'ForeignLinkError' && error.message === 'resource enrollments: next link https://elsewhere.example/x is off the source origin',
    );
  });

  it('names the traversal as exportResource names a parent’s, a cursor restart included', () => {
    assert.equal(parentTraversalName('enrollments', 'course_id=7', { pass: 'main', cursorRecoveries: 0 }), 'enrollments/course_id=7');
    assert.equal(parentTraversalName('enrollments', 'course_id=7', { pass: 'main', cursorRecoveries: 2 }), 'enrollments/course_id=7~restart2');
  });
});
