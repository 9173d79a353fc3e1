import type { CompletenessReport } from '../activities/assess-completeness';
import type { DriftFinding } from '../integrity/fingerprint';
import type { DeletionScanReport } from './deletion-scan';
import { NO_PAGES, type PageCounters, type ResourceStatus } from './definitions';
import { NO_WAITS, type Waits } from './waits';

// What the workflows return: a report per resource and one per run. Old histories and stored run results hold
// these shapes, so a field added later is optional (absent from what was recorded before it).

export interface ResourceReport extends PageCounters {
  resource: string;
  workflowId: string;
  status: ResourceStatus;
  /** The collection size the API reported on the first and on the last page (null where it reports none). */
  expectedAtStart: number | null;
  expectedAtEnd: number | null;
  /** Restarts after the server rejected its own cursor; the pages before a restart count in `pages` too. */
  cursorRecoveries: number;
  /** How the source was paged when the server decided (Ed-Fi: key-set from ODS/API 7.3, limit/offset before), and why. */
  paging?: { mode: 'key-set' | 'offset'; reason: string };
  /** Where the first record that failed validation is and why (`quarantined` counts them all). */
  firstInvalid: string | null;
  /** Schema drift seen page by page during the traversal (new fields, changed types), the first few of each. */
  drift: DriftFinding[];
  /** The checks after the traversal and their verdict; absent when the traversal failed. */
  completeness?: CompletenessReport;
  /** Set when the traversal was incremental: the change filter's time (high-water mark less the overlap). */
  incrementalSince?: string;
  /** For an incremental resource: the high-water mark saved for the next run (null while no row has one). */
  highWater?: string | null;
  /** The update scan after the traversal: rows changed since the run started, re-read and upserted. */
  updateScan?: UpdateScanReport;
  /** The deletion scan after a complete traversal: flagged, an anomaly, or why it was skipped. */
  deletionScan?: DeletionScanReport;
  /**
   * The second pass over an offset or page-number source: `inserted` counts rows the traversal missed because
   * rows shifted under it (drift), `updated` rows that changed meanwhile. Null when no second pass ran.
   */
  reconciliation: PageCounters | null;
  /** Times a failing source's circuit opened (each a cool-down and a probe). */
  circuitOpenings: number;
  /** Retries by cause, throttled answers and the time the server or our backoff made us wait. */
  waits: Waits;
  /** The first and last page request of the main pass, as `sha256:` digests of their audit rows' `cursor_before` (privacy/cursor-digest.ts). */
  startCursor: string | null;
  endCursor: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  continuedAsNew: number;
  error?: string;
  /**
   * For a fanned-out resource: parents traversed, and those gone (404/403) or failed, by key; `children`: those
   * with more than a first page, read on by a child workflow each (absent from fan-outs that started one per parent).
   */
  parents?: { done: number; total: number; gone: Array<{ key: string; reason: string }>; failed: Array<{ key: string; reason: string }>; goneCount: number; failedCount: number; children?: number };
  /** For a partitioned resource: each partition's own report (the counters above are their sums). */
  partitions?: ResourceReport[];
}

/** What the update scan did: `inserted` + `updated` are the rows it touched. */
export interface UpdateScanReport extends PageCounters {
  /** The change filter, as sent: `updated_since=<run start less the overlap>`, or `minChangeVersion=<newest at run start>`. */
  since: string;
  status: 'completed' | 'failed';
  error?: string;
}

/** A report of nothing done yet: what a failed resource reports, and what partition and fan-out totals start from. */
export function blankReport(resource: string, workflowId: string, startedAt: string): ResourceReport {
  return {
    resource,
    workflowId,
    status: 'completed',
    ...NO_PAGES,
    expectedAtStart: null,
    expectedAtEnd: null,
    cursorRecoveries: 0,
    firstInvalid: null,
    drift: [],
    reconciliation: null,
    circuitOpenings: 0,
    waits: NO_WAITS,
    startCursor: null,
    endCursor: null,
    startedAt,
    finishedAt: null,
    durationMs: null,
    continuedAsNew: 0,
  };
}

export interface RunReport {
  spec: string;
  runId: string;
  workflowId: string;
  /** `incomplete`: every resource ran, but a completeness check found rows missing (see each `completeness`). */
  status: 'completed' | 'failed' | 'incomplete';
  startedAt: string;
  finishedAt: string;
  resources: ResourceReport[];
}
