/**
 * Every patch of the workflow code, in one place: a change of shape that runs started by older code must not see
 * (Temporal's `patched`: new runs write a marker and take the new path; a replayed run without the marker keeps
 * the old one). Each entry says what the new path does, what old runs do instead, and since when.
 *
 * When a patch can go — Temporal's deprecation cycle, in two releases:
 * 1. A run lives as long as one export (hours; longer only while paused), and schedules start every new run on
 *    the code of the day. Once no run started before the release that added the patch is open on any namespace
 *    (`temporal workflow count --query 'ExecutionStatus="Running" AND StartTime < "<that release>"'` prints 0),
 *    mark the entry `deprecated`: the code calls `deprecatePatch(id)` and keeps only the new path. A run that
 *    is replayed then must have taken the new path — any replay fixture recorded before the patch that does not
 *    replay any more is deleted with the old path.
 * 2. One release later, by the same query against the release of step 1, remove the entry and its call.
 * The register is checked by test/unit/patches.test.ts: no patch id is written anywhere else, none is used twice.
 */
export interface Patch {
  readonly id: string;
  /** The day its commit landed: runs started before then took the old path. */
  readonly added: string;
  /** What the new path does, and what runs started before do instead. */
  readonly why: string;
  /** Step 1 done: every run takes the new path; the old one is gone from the code. */
  readonly deprecated?: true;
}

export const PATCHES = {
  pageRequestsOnRequestQueue: {
    id: 'page-requests-on-request-queue',
    added: '2026-11-22',
    why: 'page requests on a request queue of their own, not the workflow task queue',
    deprecated: true,
  },
  pageRequestsPerSource: {
    id: 'page-requests-per-source',
    added: '2026-11-22',
    why: "page requests on the source's own request queue with its budget; runs before used the deployment-wide queue",
    deprecated: true,
  },
  requestQueueMemo: {
    id: 'request-queue-memo',
    added: '2026-11-22',
    why: 'the run writes its request-queue budget into its memo (runs started from the Temporal CLI carry none); runs before write nothing',
  },
  incrementalSync: {
    id: 'incremental-sync',
    added: '2026-11-22',
    why: "an incremental resource starts from its high-water mark; runs before always traversed in full",
  },
  updateScan: { id: 'update-scan', added: '2026-11-22', why: 'the update-scan child after a completed traversal; runs before ended without it' },
  completenessChecks: { id: 'completeness-checks', added: '2026-11-22', why: 'the completeness checks after a traversal; runs before ended without a verdict' },
  deletionScan: { id: 'deletion-scan', added: '2026-11-22', why: 'the deletion-scan child after a complete traversal; runs before flagged nothing' },
  edfiChangeVersions: {
    id: 'edfi-change-versions',
    added: '2026-11-22',
    why: "Ed-Fi change versions read at the run's start and published for the next run; runs before read none",
  },
  fanOutTotal: { id: 'fan-out-total', added: '2026-11-22', why: 'a fan-out counts its parent keys first (progress with a total); runs before go on without one' },
  searchAttributes: {
    id: 'search-attributes',
    added: '2026-12-02',
    why: 'a run started with search attributes upserts its phase, pause, records and verdict; runs before upsert nothing',
  },
  edfiPagingChoice: {
    id: 'edfi-paging-choice',
    added: '2026-12-02',
    why: 'an Ed-Fi key-set resource settles its paging (partitions or token) in an activity; runs before paged as configured',
  },
  notifyWebhook: { id: 'notify-webhook', added: '2026-12-02', why: "the run calls the spec's notify webhook when an alert is owed; runs before call nothing" },
  progressMemo: { id: 'progress-memo', added: '2026-12-02', why: 'workflows publish their progress in a memo (status in a few calls); runs before publish nothing' },
  fanOutReadsFirstPages: {
    id: 'fan-out-reads-first-pages',
    added: '2026-12-03',
    why: "a fan-out reads each parent's first page itself and starts a child traversal only for a parent with a next page; runs before start a child per parent",
  },
  refuseParentKeysLeavingThePath: {
    id: 'refuse-parent-keys-leaving-the-path',
    added: '2026-12-02',
    why: "a parent key that would leave the resource's path is recorded as failed without a request; runs before sent it",
  },
  cancelChildrenByWorkflowId: {
    id: 'cancel-children-by-workflow-id',
    added: '2026-12-02',
    why: "a cancelled run cancels each child by workflow id (reaching a continued run); runs before cancelled only the run they started",
  },
  sinkDownNotASourceFailure: {
    id: 'sink-down-not-a-source-failure',
    added: '2026-12-02',
    why: "a sink that is down does not count against the source's circuit breaker; runs before counted it",
  },
  persistWaitsOutSinkDown: {
    id: 'persist-waits-out-sink-down',
    added: '2026-12-02',
    why: 'a persist that finds the sink down waits on durable timers until it is back; runs before failed the resource',
  },
} as const satisfies Record<string, Patch>;

/** The register's ids, for the check that every call site names one. */
export const PATCH_IDS: ReadonlySet<string> = new Set(Object.values(PATCHES).map((patch: Patch) => patch.id));
