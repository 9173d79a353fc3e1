import type { ResourceProgress } from './definitions';
import type { ExportResourceInput, TraversalState } from './export-resource';
import type { TraversalMemo } from './progress-memo';
import type { Waits } from './waits';

/** Which traversal of a resource a workflow is: what names it in the audit trail and in progress. */
export type TraversalIdentity = Pick<ExportResourceInput, 'label' | 'partition' | 'scope'>;

/**
 * The audit trail's name for the pass a traversal is on: the resource (`users~updates` for the update scan),
 * its partition (`users/p2`) or parent (`enrollments/course_id=7`), marked `~reconcile` for the second pass
 * over a positional source and `~restartN` after the server rejected its own cursor N times.
 */
export function traversalName(identity: TraversalIdentity, resource: string, state: Pick<TraversalState, 'pass' | 'cursorRecoveries'>): string {
  const own = identity.label === undefined ? resource : `${resource}~${identity.label}`;
  const name = identity.partition !== undefined ? `${own}/p${identity.partition.index}` : identity.scope !== undefined ? `${own}/${identity.scope}` : own;
  const base = state.pass === 'main' ? name : `${name}~reconcile`;
  return state.cursorRecoveries === 0 ? base : `${base}~restart${state.cursorRecoveries}`;
}

/** What a traversal's memo says of it (progress-memo.ts publishes it), `reportedAt` aside. */
export function traversalMemo(identity: TraversalIdentity, resource: string, state: TraversalState, circuitOpenUntil: string | null, waits: Waits): Omit<TraversalMemo, 'reportedAt'> {
  return {
    kind: 'traversal',
    resource,
    role: identity.label === 'updates' ? 'updates' : identity.partition !== undefined ? 'partition' : identity.scope !== undefined ? 'scope' : 'main',
    pass: state.pass,
    pages: state.pages,
    records: state.recordsFetched,
    secondPass: state.reconciliation && { pages: state.reconciliation.pages, records: state.reconciliation.recordsFetched },
    expected: state.expectedAtEnd,
    paused: state.paused,
    circuitOpenUntil,
    lastError: state.lastError?.slice(0, 300) ?? null,
    waits,
    startedAt: state.startedAt,
    continuedAsNew: state.continuedAsNew,
  };
}

/** What the traversal's `progress` query answers. */
export function traversalProgress(resource: string, state: TraversalState, circuitOpenUntil: string | null, waits: Waits, fetching: boolean): ResourceProgress {
  return {
    resource,
    pages: state.pages,
    records: state.recordsFetched,
    cursor: state.cursor,
    paused: state.paused,
    circuitOpenUntil,
    waits,
    fetching,
    startedAt: state.startedAt,
    lastError: state.lastError,
    continuedAsNew: state.continuedAsNew,
  };
}
