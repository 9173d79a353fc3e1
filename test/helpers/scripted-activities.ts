// Time-skipping (TestWorkflowEnvironment.createTimeSkipping) needs Temporal's Java test server, a download the CI
// machine cannot make: these tests run on the dev server, their timers kept short through the spec.
import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { ExportActivities } from '../../src/activities';
import type { AssessCompletenessInput, CompletenessReport } from '../../src/activities/assess-completeness';
import type { PageSummary } from '../../src/activities/fetch-page';
import type { FailureType } from '../../src/failures';
import { countCheck, type Verdict } from '../../src/integrity/verdict';
import type { PageCursor } from '../../src/pagination/types';
import { sourceRequestQueue } from '../../src/sources/request-budget';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { workflowBundle } from './temporal';

/** The source every scripted spec names: no request ever goes there, its host only names the request queue. */
export const SCRIPTED_BASE_URL = 'http://scripted.invalid/api';

/** How long a test waits for a workflow to get somewhere: the runs take a second or two, so this means it never will. */
export const SOON_MS = 15_000;

export interface ScriptedFailure {
  type: FailureType;
  /** Thrown non-retryable (the activity is not tried again); otherwise retryable. */
  final?: boolean;
  /** The first this many requests for the page fail (`Infinity`: every one). */
  times: number;
}

export interface ScriptedPage {
  records: number;
  /** The collection size the page announces. */
  total?: number;
  fails?: ScriptedFailure;
}

/** `count` pages of `records(page)` records each (10 by default). */
export function scriptedPages(count: number, records: (page: number) => number = () => 10): ScriptedPage[] {
  return Array.from({ length: count }, (_, i) => ({ records: records(i + 1) }));
}

export interface Script {
  /** The pages of each traversal, by the name the workflows give it: `users`, `users/p0`, `enrollments/course_id=7`. */
  traversals: Record<string, ScriptedPage[]>;
  /** The keys a fan-out reads from each parent table. */
  parentKeys?: Record<string, string[]>;
  /** The start tokens listPartitions answers, by resource. */
  partitions?: Record<string, string[]>;
  /** The completeness verdict of each resource; `complete` where none is given. */
  verdicts?: Record<string, Verdict>;
  /** How long each page request takes. */
  fetchLatencyMs?: number;
  /** How long each persist takes. */
  persistLatencyMs?: number;
}

/** One request for a page, as the scripted source saw it. */
export interface FetchCall {
  /** The workflow that asked: the traversal, or the fan-out reading a parent's first page. */
  workflowId: string;
  traversal: string;
  /** The page number the workflow gave the request. */
  pageNumber: number;
  /** The page its cursor points at. */
  page: number;
  cursor: PageCursor | null;
  /** One activity's attempts share it; a probe after the circuit opened is an activity of its own. */
  activityId: string;
  attempt: number;
  maximumAttempts: number | undefined;
  at: number;
  endedAt?: number;
  failed?: boolean;
}

export interface PersistCall {
  traversal: string;
  pageNumber: number;
  ref: string;
  at: number;
}

type MainActivities = Pick<
  ExportActivities,
  'persistPage' | 'listPartitions' | 'choosePaging' | 'assessCompleteness' | 'detectDeletions' | 'listParentKeys' | 'countParentKeys'
>;

const cursorPattern = /^(.*)#(\d+)$/;

function delay(ms: number | undefined): Promise<void> | undefined {
  return ms ? new Promise((resolve) => setTimeout(resolve, ms)) : undefined;
}

/**
 * An in-memory source and sink behind the real activity names and types: fetchPage answers page N of a traversal
 * from the script (next cursor, total, failures on the first requests), persistPage "upserts" what fetchPage
 * staged, the run's other activities answer plausibly; every request is logged with its page, attempt and time.
 */
export class ScriptedSource {
  readonly fetches: FetchCall[] = [];
  readonly persists: PersistCall[] = [];
  readonly assessments: AssessCompletenessInput[] = [];
  readonly deletionScans: string[] = [];
  readonly partitionRequests: Array<{ resource: string; count: number }> = [];
  private readonly staged = new Map<string, { traversal: string; records: number }>();
  private readonly stored = new Map<string, number>();
  private readonly holds = new Map<string, { gate: Promise<void>; release: () => void }>();

  constructor(private readonly script: Script) {}

  fetchesOf(traversal: string): FetchCall[] {
    return this.fetches.filter((call) => call.traversal === traversal);
  }

  /** Page `page` of `traversal` is not answered until the returned function is called. */
  hold(traversal: string, page: number): () => void {
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.holds.set(`${traversal}#${page}`, { gate, release });
    return release;
  }

  releaseAll(): void {
    for (const { release } of this.holds.values()) release();
  }

  readonly fetchPage: ExportActivities['fetchPage'] = async (input) => {
    const { info } = Context.current();
    const pages = this.script.traversals[input.traversal];
    if (pages === undefined) throw ApplicationFailure.nonRetryable(`the script has no traversal ${input.traversal}`);
    const own = input.cursor?.kind === 'token' ? cursorPattern.exec(input.cursor.token) : null;
    const page = own?.[1] === input.traversal ? Number(own[2]) : 1;
    const call: FetchCall = {
      workflowId: info.workflowExecution?.workflowId ?? '',
      traversal: input.traversal,
      pageNumber: input.pageNumber,
      page,
      cursor: input.cursor,
      activityId: info.activityId,
      attempt: info.attempt,
      maximumAttempts: info.retryPolicy?.maximumAttempts,
      at: Date.now(),
    };
    this.fetches.push(call);
    try {
      await this.holds.get(`${input.traversal}#${page}`)?.gate;
      await delay(this.script.fetchLatencyMs);
      const scripted = pages[page - 1];
      if (scripted === undefined) throw ApplicationFailure.nonRetryable(`${input.traversal} has no page ${page}`);
      const { fails } = scripted;
      if (fails !== undefined && this.fetchesOf(input.traversal).filter((c) => c.page === page).length <= fails.times) {
        const message = `scripted ${fails.type} on ${input.traversal} page ${page}`;
        throw fails.final ? ApplicationFailure.nonRetryable(message, fails.type) : ApplicationFailure.retryable(message, fails.type);
      }
      const ref = `${input.runId}/${input.traversal}/${input.pageNumber}`;
      this.staged.set(ref, { traversal: input.traversal, records: scripted.records });
      const summary: PageSummary = {
        ref,
        pageNumber: input.pageNumber,
        recordCount: scripted.records,
        sha256: createHash('sha256').update(ref).digest('hex'),
        requested: `${SCRIPTED_BASE_URL}/${input.traversal}?page=${page}`,
        next: page < pages.length ? { kind: 'token', token: `${input.traversal}#${page + 1}` } : null,
        positional: false,
        attempts: { retries: {}, throttled: 0, waitedMs: 0 },
        ...(scripted.total === undefined ? {} : { total: scripted.total }),
      };
      return summary;
    } catch (error) {
      call.failed = true;
      throw error;
    } finally {
      call.endedAt = Date.now();
    }
  };

  /** The activities of the main task queue (page requests go to the source's own queue: `fetchPage`). */
  mainActivities(): MainActivities {
    return {
      persistPage: async (input) => {
        this.persists.push({ traversal: input.traversal, pageNumber: input.pageNumber, ref: input.ref, at: Date.now() });
        await delay(this.script.persistLatencyMs);
        const page = this.staged.get(input.ref);
        if (page === undefined) throw ApplicationFailure.nonRetryable(`nothing staged under ${input.ref}`);
        // An upsert: a page persisted again changes nothing.
        const again = this.stored.has(input.ref);
        this.stored.set(input.ref, page.records);
        return { inserted: again ? 0 : page.records, updated: 0, unchanged: again ? page.records : 0, quarantined: 0, drift: [] };
      },
      listPartitions: async (input) => {
        this.partitionRequests.push({ resource: input.resource.name, count: input.count });
        return this.script.partitions?.[input.resource.name] ?? [];
      },
      choosePaging: async () => ({ mode: 'key-set', reason: 'the scripted source pages by key set', total: null }),
      assessCompleteness: async (input) => {
        this.assessments.push(input);
        const storedRows = this.storedRowsOf(input.resource.name);
        const report: CompletenessReport = {
          verdict: this.script.verdicts?.[input.resource.name] ?? 'complete',
          findings: {
            count: countCheck(storedRows, input.traversal.expectedAtStart, input.traversal.expectedAtEnd, input.resource.completeness.countTolerance),
            gaps: null,
            spotChecks: [],
            drift: [],
            reconciledRows: 0,
          },
          seal: `scripted:${input.runId}`,
          storedRows,
        };
        return report;
      },
      detectDeletions: async (input) => {
        this.deletionScans.push(input.resource.name);
        return { outcome: 'flagged', missing: 0, newlyFlagged: 0, unflagged: 0, liveRows: this.storedRowsOf(input.resource.name), detail: 'scripted' };
      },
      listParentKeys: async (input) => {
        const keys = this.parentKeysOf(input.table, input.only).filter((key) => input.afterKey === null || key > input.afterKey);
        return keys.slice(0, input.limit).map((key) => ({ key, values: {} }));
      },
      countParentKeys: async (input) => this.parentKeysOf(input.table, input.only).length,
    };
  }

  private parentKeysOf(table: string, only: string[] | undefined): string[] {
    return (this.script.parentKeys?.[table] ?? []).filter((key) => only === undefined || only.includes(key)).sort();
  }

  /** Rows stored for a resource: its own traversals, its partitions' and its parents' shares. */
  private storedRowsOf(resource: string): number {
    let rows = 0;
    for (const [ref, records] of this.stored) if ((this.staged.get(ref)?.traversal ?? '').split(/[/~]/)[0] === resource) rows += records;
    return rows;
  }
}

/** A spec over the scripted source: generic json-cursor paging unless a resource says otherwise, short timeouts. */
export function scriptedSpec(
  name: string,
  resources: ExportSpecInput['resources'],
  options: { preset?: 'generic' | 'edfi'; execution?: ExportSpecInput['execution'] } = {},
): ExportSpecInput {
  const preset = options.preset ?? 'generic';
  return {
    name,
    source: { preset, baseUrl: SCRIPTED_BASE_URL },
    resources: resources.map((r) => (preset === 'generic' && r.pagination === undefined ? { ...r, pagination: { type: 'json-cursor', nextCursorPath: 'next' } } : r)),
    sink: { kind: 'duckdb', path: 'scripted-never-opened.duckdb' },
    execution: { activityTimeoutSeconds: 10, maxAttempts: 3, ...options.execution },
  };
}

/**
 * Runs `body` with two workers on `taskQueue`: the workflows and the source's mocked activities on it, and the
 * mocked fetchPage on the source's own request queue, where the workflows send page requests.
 */
export async function withScriptedWorkers<T>(env: TestWorkflowEnvironment, taskQueue: string, source: ScriptedSource, body: () => Promise<T>): Promise<T> {
  const [main, requests] = await Promise.all([
    workflowBundle({ encrypted: false }).then((bundle) =>
      Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: source.mainActivities() }),
    ),
    Worker.create({ connection: env.nativeConnection, taskQueue: sourceRequestQueue(taskQueue, { baseUrl: SCRIPTED_BASE_URL }), activities: { fetchPage: source.fetchPage } }),
  ]);
  const done = body().finally(() => source.releaseAll());
  const workers = await Promise.allSettled([main.runUntil(done), requests.runUntil(done)]);
  const result = await done;
  for (const worker of workers) if (worker.status === 'rejected') throw worker.reason;
  return result;
}
