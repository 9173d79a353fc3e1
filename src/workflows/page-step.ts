import { ApplicationFailure } from '@temporalio/workflow';
import type { PageSummary } from '../activities/fetch-page';
import { FailureType } from '../failures';
import type { PageCursor } from '../pagination/types';
import type { PersistResult } from '../sinks/sink';
import type { ResourceConfig } from '../spec/export-spec';
import { NO_PAGES } from './definitions';
import { withDrift } from './drift-log';
import type { TraversalState } from './export-resource';
import { checkInvalidRatio } from './invalid-records';
import { addWaits, NO_WAITS } from './waits';

/** A traversal before its first page: from `cursor` (a partition's own start), else from the collection's start. */
export function startingTraversal(startedAt: string, cursor: PageCursor | null = null): TraversalState {
  return {
    ...NO_PAGES,
    expectedAtStart: null,
    expectedAtEnd: null,
    cursor,
    cursorRecoveries: 0,
    circuit: { openUntil: null, openings: 0 },
    waits: NO_WAITS,
    pass: 'main',
    reconciliation: null,
    nextPageNumber: 1,
    startCursor: null,
    endCursor: null,
    paused: false,
    pausedSince: null,
    startedAt,
    lastError: null,
    continuedAsNew: 0,
    firstInvalid: null,
    drift: [],
  };
}

/** What follows a persisted page. */
export type PageStep =
  /** The traversal is done: nothing else to read. */
  | 'finished'
  /** The main pass ended on a positional source: read from the start again as the reconciliation pass. */
  | 'second-pass'
  /** The page points to a next one, now the state's cursor. */
  | 'has-more';

/**
 * A traversal's bookkeeping after a persisted page — exportResource's and the fan-out's own reads alike:
 * counters (the reconciliation pass's own, once in it), waits, totals, the report's first and last cursor, the
 * cursor; and the step that follows. Pure: the same state and page give the same answer on every replay.
 * A page that breaks a rule (too many invalid records, a next link off the source's origin) comes back as
 * `failure`, which the caller throws once it has published what the page did. `restartCursor` is where a
 * reconciliation pass begins (a partition's own start). The circuit's state is kept by reference.
 */
export function afterPage(
  before: TraversalState,
  page: PageSummary,
  persisted: PersistResult,
  resource: Pick<ResourceConfig, 'name' | 'maxInvalidRatio' | 'reconcile'>,
  restartCursor: PageCursor | null,
): { state: TraversalState; step: PageStep; failure?: ApplicationFailure } {
  const state: TraversalState = { ...before, reconciliation: before.reconciliation && { ...before.reconciliation } };
  state.waits = addWaits(state.waits, page.attempts);
  if (page.total !== undefined) {
    if (state.pages === 0) state.expectedAtStart = page.total;
    state.expectedAtEnd = page.total;
  }
  if (state.pass === 'main') {
    // The report names pages by digest (a cursor can encode record values); pages fetched before, by URL.
    state.startCursor ??= page.requestedDigest ?? page.requested;
    state.endCursor = page.requestedDigest ?? page.requested;
  }
  state.cursor = page.next;
  state.nextPageNumber += 1;
  state.lastError = null;
  const counters = state.reconciliation ?? state;
  counters.pages += 1;
  counters.recordsFetched += page.recordCount;
  counters.inserted += persisted.inserted;
  counters.updated += persisted.updated;
  counters.unchanged += persisted.unchanged;
  counters.quarantined += persisted.quarantined;
  state.firstInvalid ??= persisted.firstIssue ?? null;
  state.drift = withDrift(state.drift, persisted.drift ?? []);
  try {
    // A second pass sees the same invalid records again: the main pass's counts are the ones that judge.
    checkInvalidRatio(resource, state, page.next === null && state.pass === 'main');
  } catch (error) {
    if (error instanceof ApplicationFailure) return { state, step: 'finished', failure: error };
    throw error;
  }
  if (page.refusedNext !== undefined) {
    // The page's own records are stored; where it pointed next is not followed.
    return { state, step: 'finished', failure: ApplicationFailure.nonRetryable(`resource ${resource.name}: ${page.refusedNext}`, FailureType.ForeignLink) };
  }
  if (page.next !== null) return { state, step: 'has-more' };
  if (state.pass === 'main' && page.positional && resource.reconcile) {
    // Offsets and page numbers shift when rows come and go mid-run: a second pass picks up what slipped by.
    state.pass = 'reconcile';
    state.reconciliation = { ...NO_PAGES };
    state.cursor = restartCursor;
    return { state, step: 'second-pass' };
  }
  return { state, step: 'finished' };
}
