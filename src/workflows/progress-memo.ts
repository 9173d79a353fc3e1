import { patched, upsertMemo } from '@temporalio/workflow';
import type { Waits } from './waits';
import type { ParentWalk } from './definitions';
import { PATCHES } from './patches';

/**
 * The memo key under which each traversal and fan-out of a run publishes its live figures. Visibility keeps
 * every workflow's memo, so one listing of a run's workflows (`RootWorkflowId = <run>`) reads all of them at
 * once: `lms-export status` and `watch` cost the same for one resource as for fifty, and the run's own history,
 * which never continues as new, gains no event for it (each child pays for its own reports, which continue-as-new
 * keeps bounded).
 */
export const PROGRESS_MEMO = 'lmsProgress';

/** A traversal's figures: the main one, a partition, one parent's share, or the update scan. */
export interface TraversalMemo {
  kind: 'traversal';
  resource: string;
  /** `main`, `partition`, `scope` (one parent's share of a fan-out) or `updates` (the update scan). */
  role: 'main' | 'partition' | 'scope' | 'updates';
  pass: 'main' | 'reconcile';
  pages: number;
  records: number;
  /** The second pass over a positional source, while it runs. */
  secondPass: { pages: number; records: number } | null;
  /** The collection size the API reported on the latest page, or null. */
  expected: number | null;
  paused: boolean;
  circuitOpenUntil: string | null;
  lastError: string | null;
  waits: Waits;
  startedAt: string;
  continuedAsNew: number;
  /** When the workflow wrote this (workflow time): a memo much older than its page rate means a page is stuck or retried. */
  reportedAt: string;
}

/** A fan-out's walk over its parents, with the sums of the parents' traversals that finished. */
export interface FanOutMemo extends ParentWalk {
  kind: 'fan-out';
  pages: number;
  records: number;
  startedAt: string;
  reportedAt: string;
}

export type ProgressMemo = TraversalMemo | FanOutMemo;

/** Figures change often: they are published at most this often. A pause, an open circuit or a new error go out at once. */
const FIGURES_EVERY_MS = 2_000;

type Figures<T extends ProgressMemo> = Omit<T, 'reportedAt'>;

/**
 * Publishes a workflow's progress memo when it changed: at once when its state changed (paused, circuit, error),
 * else at most every few seconds. Each publication is one history event of the publishing workflow; runs
 * recorded before the memo existed publish nothing (patch `progress-memo`).
 */
export class ProgressPublisher<T extends ProgressMemo> {
  private readonly enabled = patched(PATCHES.progressMemo.id);
  private lastState = '';
  private lastFigures = '';
  private lastAt = -Infinity;

  constructor(
    private readonly figures: () => Figures<T>,
    /** The fields whose change is worth an event at once. */
    private readonly state: (figures: Figures<T>) => unknown,
  ) {}

  publish(): void {
    if (!this.enabled) return;
    const figures = this.figures();
    const state = JSON.stringify(this.state(figures));
    const all = JSON.stringify(figures);
    if (all === this.lastFigures) return;
    if (state === this.lastState && Date.now() - this.lastAt < FIGURES_EVERY_MS) return;
    this.lastState = state;
    this.lastFigures = all;
    this.lastAt = Date.now();
    upsertMemo({ [PROGRESS_MEMO]: { ...figures, reportedAt: new Date().toISOString() } });
  }
}
