import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PageCursor } from '../pagination/types';
import type { Waits } from './waits';

/** Signals and queries shared by the workflows and every client (CLI, tests), so both name them alike. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const progressQuery = defineQuery<ResourceProgress>('progress');
export const runProgressQuery = defineQuery<RunProgress>('runProgress');
export const fanOutProgressQuery = defineQuery<FanOutProgress>('fanOutProgress');

/** Where a nested resource's walk over its parents stands: what its query and its memo both say. */
export interface ParentWalk {
  resource: string;
  parentsDone: number;
  /** Null until counted, at the fan-out's start. */
  parentsTotal: number | null;
  inFlight: number;
  gone: number;
  failed: number;
  paused: boolean;
}

/** A nested resource's walk over its parents, as its fan-out workflow reports it. */
export interface FanOutProgress extends ParentWalk {
  /** Page requests outstanding for parents the fan-out reads itself (a paused fan-out finishes those, then sends nothing). */
  fetching: number;
}

export interface ResourceProgress {
  resource: string;
  pages: number;
  records: number;
  cursor: PageCursor | null;
  paused: boolean;
  /** While a failing source cools down (circuit open): when the probe will go out. */
  circuitOpenUntil: string | null;
  /** Retries by cause, throttled answers and time spent waiting on them, for the pages persisted so far. */
  waits: Waits;
  /** A page request is outstanding (a paused traversal finishes it, then sends nothing). */
  fetching: boolean;
  startedAt: string;
  lastError: string | null;
  continuedAsNew: number;
}

/** `scanning-updates`, `checking`, `scanning-deletions`: traversed, the phases after it running (never in a report). */
export type RunPhase = 'pending' | 'traversal' | 'update scan' | 'checks' | 'deletion scan' | 'done';

const PHASE_OF: Record<ResourceStatus, RunPhase> = {
  pending: 'pending',
  running: 'traversal',
  'scanning-updates': 'update scan',
  checking: 'checks',
  'scanning-deletions': 'deletion scan',
  completed: 'done',
  failed: 'done',
};
const PHASES: RunPhase[] = ['pending', 'traversal', 'update scan', 'checks', 'deletion scan', 'done'];

/** Which phase a run is in, from its resources' statuses. */
export function runPhase(statuses: ResourceStatus[]): RunPhase {
  const phases = statuses.map((s) => PHASES.indexOf(PHASE_OF[s]));
  const active = phases.filter((p) => p > 0 && p < PHASES.length - 1);
  if (active.length > 0) return PHASES[Math.min(...active)] as RunPhase;
  return phases.every((p) => p === PHASES.length - 1) ? 'done' : phases.some((p) => p === PHASES.length - 1) ? 'traversal' : 'pending';
}

export type ResourceStatus = 'pending' | 'running' | 'scanning-updates' | 'checking' | 'scanning-deletions' | 'completed' | 'failed';

export interface RunProgress {
  spec: string;
  /** The earliest phase any resource is in (resources run in parallel, each through the same phases). */
  phase: RunPhase;
  paused: boolean;
  startedAt: string;
  resources: Array<{
    resource: string;
    workflowId: string;
    status: ResourceStatus;
    records?: number;
    /** The collection size asked before the traversal, where pages carry none (Ed-Fi key-set). */
    expected?: number;
    /** `records`: fetched by the partitions that finished (absent in runs started before it was counted). */
    partitions?: { done: number; total: number; records?: number };
    /** The completeness verdict, once the checks ran. */
    verdict?: string;
    error?: string;
  }>;
}

/** What a traversal has done so far; carried across continue-as-new and reported at the end. */
export interface PageCounters {
  pages: number;
  recordsFetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
}

export const NO_PAGES: PageCounters = { pages: 0, recordsFetched: 0, inserted: 0, updated: 0, unchanged: 0, quarantined: 0 };

export function countersOf(counters: PageCounters): PageCounters {
  const { pages, recordsFetched, inserted, updated, unchanged, quarantined } = counters;
  return { pages, recordsFetched, inserted, updated, unchanged, quarantined };
}
