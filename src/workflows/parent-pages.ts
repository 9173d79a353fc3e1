import type { PageSummary } from '../activities/fetch-page';
import type { PersistResult } from '../sinks/sink';
import type { ResourceConfig } from '../spec/export-spec';
import type { TraversalState } from './export-resource';
import { afterPage, type PageStep } from './page-step';


/**
 * A parent's traversal while the fan-out reads its pages itself, page by page, as exportResource would. Most
 * parents (a course's enrollments) have one page or none: for them the fan-out's own fetch and persist are the
 * whole traversal and no child workflow is started. A parent with a next page is handed to a child
 * exportResource with the state below (`carried`), so the child goes on from the cursor as if it had read the
 * first page itself. Pure: the same state and page give the same step on every replay.
 */

/** The audit trail's name for the parent's traversal (`enrollments/course_id=7`), as exportResource names a scoped one. */
export function parentTraversalName(resource: string, scope: string, state: Pick<TraversalState, 'pass' | 'cursorRecoveries'>): string {
  const name = `${resource}/${scope}`;
  const base = state.pass === 'main' ? name : `${name}~reconcile`;
  return state.cursorRecoveries === 0 ? base : `${base}~restart${state.cursorRecoveries}`;
}

/**
 * The state after a persisted page of a parent and the step that follows, by exportResource's rules (page-step.ts);
 * a page that breaks a rule fails the parent with the same non-retryable failure.
 */
export function afterParentPage(
  before: TraversalState,
  page: PageSummary,
  persisted: PersistResult,
  resource: Pick<ResourceConfig, 'name' | 'maxInvalidRatio' | 'reconcile'>,
): { state: TraversalState; step: PageStep } {
  const { state, step, failure } = afterPage(before, page, persisted, resource, null);
  if (failure !== undefined) throw failure;
  return { state, step };
}
