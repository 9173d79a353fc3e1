import { setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { runPhase, runProgressQuery, type ResourceStatus } from './definitions';
import type { ResourceReport } from './report';
import { LMS_PAUSED, LMS_PHASE, LMS_RECORDS, LMS_VERDICT, runVerdict } from './search-attributes';

/** Search-attribute updates a run makes while it goes (its last one, when done, comes on top). */
const MAX_LIVE_UPSERTS = 12;

/** One resource of a run, as the run follows it through its phases. */
export interface ResourceEntry {
  resource: string;
  workflowId: string;
  status: ResourceStatus;
  report?: ResourceReport;
  /** `records`: what the finished partitions fetched (the running ones publish their own: progress-memo.ts). */
  partitions?: { done: number; total: number; records: number };
  /** The collection size asked before the traversal (Ed-Fi key-set pages carry none), for progress bars. */
  expected?: number;
  error?: string;
}

/**
 * What a run shows of itself while it goes: the progress query, its current details in the Web UI always, and its
 * search attributes where it was started with them (`indexed`: the namespace has them registered, lms-export
 * setup). Details and attributes are written only when they change; each upsert is a history event, so a run of
 * many resources updates its attributes a bounded number of times, and always when it is done.
 */
export class RunView {
  private published = '';
  private upserts = 0;

  constructor(
    private readonly spec: string,
    readonly entries: ResourceEntry[],
    private readonly paused: () => boolean,
    private readonly indexed: boolean,
    startedAt: string,
  ) {
    setHandler(runProgressQuery, () => ({
      spec,
      phase: runPhase(entries.map((e) => e.status)),
      paused: paused(),
      startedAt,
      resources: entries.map(({ resource, workflowId, status, error, report, partitions, expected }) => ({
        resource,
        workflowId,
        status,
        records: report?.recordsFetched,
        expected,
        partitions,
        verdict: report?.completeness?.verdict,
        error,
      })),
    }));
  }

  /** A resource's status changes, and with it what the run shows. */
  setStatus(entry: ResourceEntry, status: ResourceStatus): void {
    entry.status = status;
    this.publish();
  }

  publish(): void {
    const { entries } = this;
    const phase = runPhase(entries.map((e) => e.status));
    const records = entries.reduce((sum, e) => sum + (e.report?.recordsFetched ?? 0), 0);
    const verdict = runVerdict(entries.map((e) => (e.status === 'failed' ? 'failed' : e.report?.completeness?.verdict)));
    const paused = this.paused();
    const summary = `${phase}${paused ? ', paused' : ''}; ${records} records in finished resources${verdict === undefined ? '' : `; verdict ${verdict}`}`;
    if (summary === this.published) return;
    this.published = summary;
    setCurrentDetails(`**${this.spec}**: ${summary}\n\n${entries.map((e) => `- ${e.resource}: ${e.status}${e.report ? `, ${e.report.recordsFetched} records` : ''}${e.error ? ` (${e.error.slice(0, 120)})` : ''}`).join('\n')}`);
    if (!this.indexed || (this.upserts >= MAX_LIVE_UPSERTS && phase !== 'done')) return;
    this.upserts += 1;
    upsertSearchAttributes([
      { key: LMS_PHASE, value: phase },
      { key: LMS_PAUSED, value: paused },
      { key: LMS_RECORDS, value: records },
      ...(verdict === undefined ? [] : [{ key: LMS_VERDICT, value: verdict }]),
    ]);
  }
}
