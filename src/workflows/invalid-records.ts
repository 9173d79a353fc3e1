import { ApplicationFailure } from '@temporalio/workflow';
import type { ResourceConfig } from '../spec/export-spec';
import { FailureType } from '../failures';

/** What a traversal knows about its invalid records: counts and the first issue (never a record's content). */
export interface InvalidRecords {
  quarantined: number;
  recordsFetched: number;
  expectedAtStart: number | null;
  firstInvalid: string | null;
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio < 0.001 ? 2 : 1)}%`;
}

/**
 * Fails the resource when its quarantined share is over `maxInvalidRatio`: at the end of the traversal, or as
 * soon as the count alone is over that share of the total the API announced (no point paging on to a certain
 * failure). Valid records stay stored; the invalid ones stay in quarantine for `lms-export quarantine`.
 */
export function checkInvalidRatio(resource: Pick<ResourceConfig, 'name' | 'maxInvalidRatio'>, seen: InvalidRecords, finished: boolean): void {
  const { quarantined, recordsFetched, expectedAtStart } = seen;
  if (quarantined === 0) return;
  const overAtEnd = finished && quarantined > resource.maxInvalidRatio * recordsFetched;
  const overTotal = expectedAtStart !== null && quarantined > resource.maxInvalidRatio * expectedAtStart;
  if (!overAtEnd && !overTotal) return;
  const of = finished ? `${quarantined} of ${recordsFetched} records (${percent(quarantined / recordsFetched)})` : `${quarantined} records already, of ${expectedAtStart} announced,`;
  throw ApplicationFailure.nonRetryable(
    `resource ${resource.name}: ${of} failed validation, over maxInvalidRatio ${percent(resource.maxInvalidRatio)}; ` +
      `first: ${seen.firstInvalid ?? 'unknown'}. Valid records were stored; the others are in quarantine (lms-export quarantine <spec> --resource ${resource.name})`,
    FailureType.TooManyInvalidRecords,
  );
}
