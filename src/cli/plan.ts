import { openSink } from '../sinks/open-sink';
import { intervalSeconds } from '../spec/interval';
import { executionSchema, type ExportSpec, type ResourceConfig } from '../spec/export-spec';
import { childPath, placeholdersOf, requestsFor, sampleParents, settlingRequests, sizeTraversal, type SampleParent, type TraversalSize } from './plan-sizing';
import { runTiming, type RunTiming, type TimedResource } from './plan-timing';
import { resolvePaging } from '../sources/resolve-paging';

export { requestsFor } from './plan-sizing';

/** What one resource will cost: from the API's own total where it reports one, else from the operator's estimate. */
export interface ResourcePlan {
  resource: string;
  rows: number | null;
  source: 'api' | 'estimate' | 'unknown';
  pageSize: number | null;
  requests: number | null;
  /** A second pass is planned: the paging is positional and `reconcile` is on. */
  secondPass: boolean;
  /** A nested resource: how many parents it fans out over, and what one parent's traversal costs on average. */
  parents?: {
    count: number | null;
    /** Where the count comes from: the parent's plan, the rows stored in the sink, or the spec's own key list. */
    from: 'plan' | 'sink' | 'keys';
    sampled: number;
    requestsPerParent: number | null;
    rowsPerParent: number | null;
  };
}

export interface ExportPlan {
  resources: ResourcePlan[];
  requests: number | null;
  seconds: number | null;
  requestsPerSecond: number;
  /** The median time the sizing requests took: the round trip every page of the run will pay. */
  latencyMs: number;
  /** What bounds the time estimate (see plan-timing.ts). */
  boundBy: RunTiming['boundBy'] | null;
  fitsEverySeconds?: { every: number; fits: boolean | null };
}

export interface PlanOptions {
  estimates?: Record<string, number>;
  requestsPerSecond: number;
  /** Page requests each worker has in flight at most (the source's budget); one worker is assumed. */
  concurrentRequests?: number;
  everySeconds?: number;
}

/** Parents whose children a nested plan reads in full, spread over the parent's first page. */
const SAMPLE_PARENTS = 10;
/** Pages read per sampled parent before its size counts as unknown (give --estimate then). */
const SAMPLE_PAGES = 5;
/** Stored parent keys read to pick samples from, for a parent read from the sink. */
const SINK_SAMPLE_POOL = 200;

interface Planned {
  plan: ResourcePlan;
  /** Records a nested child may take its sample parents from: this resource's first page(s), with their path values. */
  records: Array<Record<string, unknown>>;
  latenciesMs: number[];
  /** Of the plan's requests, the spot check's re-fetches (sent after the traversal, one at a time). */
  spotChecks: number;
}

/** The completeness spot check re-fetches the first, a middle and the last page. */
function spotChecksOf(resource: ResourceConfig, pages: number | null): number {
  return pages === null || !resource.completeness.spotCheck ? 0 : Math.min(3, pages);
}

function asRecords(records: unknown[], values: Record<string, string> = {}): Array<Record<string, unknown>> {
  // A stored child carries its parent's fields where the API left them out (recordDefaults); the API's own win.
  return records.filter((r): r is Record<string, unknown> => r !== null && typeof r === 'object' && !Array.isArray(r)).map((r) => ({ ...values, ...r }));
}

async function planTopLevel(spec: ExportSpec, resource: ResourceConfig, estimate: number | undefined): Promise<Planned> {
  const size = await sizeTraversal(spec, resource, 1);
  const rows = size.fromTotal ? size.rows : (estimate ?? size.rows);
  const paging = resolvePaging(spec.source, resource);
  const onePass = rows === null || size.pageSize === null ? null : requestsFor(rows, size.pageSize, paging.pagination);
  const spotChecks = spotChecksOf(resource, onePass);
  return {
    plan: {
      resource: resource.name,
      rows,
      source: size.fromTotal ? 'api' : estimate !== undefined ? 'estimate' : rows !== null ? 'api' : 'unknown',
      pageSize: size.pageSize,
      requests: onePass === null ? null : onePass * (size.secondPass ? 2 : 1) + spotChecks + settlingRequests(paging),
      secondPass: size.secondPass,
    },
    records: asRecords(size.records),
    latenciesMs: size.latenciesMs,
    spotChecks,
  };
}

/** How many parents a nested resource fans out over, and sample parents to size its traversals from. */
async function parentsOf(spec: ExportSpec, resource: ResourceConfig, planned: Map<string, Planned>): Promise<{ count: number | null; from: 'plan' | 'sink' | 'keys'; samples: SampleParent[] }> {
  const parent = resource.parent as NonNullable<ResourceConfig['parent']>;
  const fields = placeholdersOf(resource.path).filter((name) => name !== parent.as);
  const inPlan = planned.get(parent.resource);
  const fromRecords = (keys?: string[]): SampleParent[] => {
    const records = inPlan?.records ?? [];
    const candidates = keys === undefined ? records : records.filter((r) => keys.includes(String(r[parent.key])));
    return sampleParents(candidates, parent.key, fields, SAMPLE_PARENTS);
  };
  if (parent.keys !== undefined && inPlan !== undefined && parent.from === 'run') return { count: parent.keys.length, from: 'keys', samples: fromRecords(parent.keys) };
  if (parent.from === 'run') return { count: inPlan?.plan.rows ?? null, from: 'plan', samples: fromRecords() };
  // Read from the sink: every stored parent row not soft-deleted (after this run's export of the parent, if it has one).
  const sink = await openSink(spec.sink);
  try {
    const scope = { table: parent.resource, field: parent.key, runId: null, only: parent.keys };
    const stored = await sink.countParentKeys(scope).catch(() => 0);
    const pool = stored === 0 ? [] : await sink.parentKeys({ ...scope, afterKey: null, limit: SINK_SAMPLE_POOL, with: fields });
    const step = Math.max(1, pool.length / SAMPLE_PARENTS);
    const samples: SampleParent[] = [];
    for (let at = 0; at < pool.length && samples.length < SAMPLE_PARENTS; at += step) samples.push(pool[Math.floor(at)] as SampleParent);
    const planned = inPlan?.plan.rows ?? null;
    const count = stored === 0 && planned === null ? null : Math.max(stored, planned ?? 0);
    return { count, from: 'sink', samples: samples.length > 0 ? samples : fromRecords(parent.keys) };
  } finally {
    await sink.close();
  }
}

/**
 * A nested resource: one traversal per parent, so its cost is the parent count times what one parent's
 * traversal costs, measured on sample parents (their children read in full, as the run will read them).
 */
async function planNested(spec: ExportSpec, resource: ResourceConfig, planned: Map<string, Planned>, estimate: number | undefined): Promise<Planned> {
  const parent = resource.parent as NonNullable<ResourceConfig['parent']>;
  const { count, from, samples } = await parentsOf(spec, resource, planned);
  const sizes: Array<{ sample: SampleParent; size: TraversalSize }> = [];
  for (const sample of samples) {
    const values = { ...sample.values, [parent.as]: sample.key };
    const child = { ...resource, path: childPath(resource.path, values), parent: undefined };
    sizes.push({ sample, size: await sizeTraversal(spec, child, SAMPLE_PAGES) });
  }
  const known = sizes.length > 0 && sizes.every((s) => s.size.requests !== null && s.size.rows !== null);
  const mean = (pick: (s: TraversalSize) => number): number => sizes.reduce((n, s) => n + pick(s.size), 0) / sizes.length;
  const paging = resolvePaging(spec.source, resource);
  const pageSize = sizes.find((s) => s.size.pageSize !== null)?.size.pageSize ?? paging.request.pageSize ?? null;
  let requestsPerParent = count === 0 ? 0 : known ? mean((s) => s.requests ?? 0) : null;
  let rowsPerParent = count === 0 ? 0 : known ? mean((s) => s.rows ?? 0) : null;
  if (!known && estimate !== undefined && count !== null && count > 0 && pageSize !== null) {
    rowsPerParent = estimate / count;
    requestsPerParent = requestsFor(Math.round(rowsPerParent), pageSize, paging.pagination);
  }
  const pages = count === null || requestsPerParent === null ? null : Math.round(count * requestsPerParent);
  const rows = count === null || rowsPerParent === null ? null : Math.round(count * rowsPerParent);
  const spotChecks = spotChecksOf(resource, pages);
  return {
    plan: {
      resource: resource.name,
      rows,
      source: rows === null ? 'unknown' : known ? 'api' : 'estimate',
      pageSize,
      requests: pages === null ? null : pages + spotChecks,
      secondPass: sizes.some((s) => s.size.secondPass),
      parents: { count, from, sampled: sizes.length, requestsPerParent, rowsPerParent },
    },
    records: sizes.flatMap((s) => asRecords(s.size.records, { ...s.sample.values, [parent.as]: s.sample.key })),
    latenciesMs: sizes.flatMap((s) => s.size.latenciesMs),
    spotChecks,
  };
}

/** Parents before their children (the order exportRun runs them in), each index once. */
function runOrder(resources: ResourceConfig[]): ResourceConfig[] {
  const depth = (r: ResourceConfig): number => {
    let d = 0;
    for (let at: ResourceConfig | undefined = r; at?.parent !== undefined; at = resources.find((x) => x.name === at?.parent?.resource)) d += 1;
    return d;
  };
  return resources.map((r, i) => ({ r, i, d: depth(r) })).sort((a, b) => a.d - b.d || a.i - b.i).map((x) => x.r);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
}

function timedResource(resource: ResourceConfig, plan: ResourcePlan, spotChecks: number): TimedResource {
  const traversals = plan.parents?.count ?? resource.partitions?.count ?? 1;
  const lanes = resource.parent?.maxParallel ?? resource.partitions?.maxParallel ?? 1;
  // The update scan is one more traversal, usually a single page of rows changed while the run went on.
  const afterwards = spotChecks + (resource.updateScan !== undefined ? 1 : 0);
  return { name: resource.name, after: resource.parent?.resource, requests: (plan.requests ?? 0) - spotChecks, traversals, lanes, afterwards };
}

/** Asks each resource for its size (one request each, a few sample parents for a nested one) and adds up what a run sends and how long it takes. */
export async function planExport(spec: ExportSpec, options: PlanOptions): Promise<ExportPlan> {
  const planned = new Map<string, Planned>();
  const ordered = runOrder(spec.resources);
  for (const resource of ordered) {
    const estimate = options.estimates?.[resource.name];
    planned.set(resource.name, resource.parent === undefined ? await planTopLevel(spec, resource, estimate) : await planNested(spec, resource, planned, estimate));
  }
  const resources = spec.resources.map((r) => (planned.get(r.name) as Planned).plan);
  const requests = resources.every((r) => r.requests !== null) ? resources.reduce((n, r) => n + (r.requests ?? 0), 0) : null;
  const latencyMs = median([...planned.values()].flatMap((p) => p.latenciesMs));
  const execution = spec.execution ?? executionSchema.parse({});
  const timing =
    requests === null
      ? null
      : runTiming(
          ordered.map((r) => {
            const { plan, spotChecks } = planned.get(r.name) as Planned;
            return timedResource(r, plan, spotChecks);
          }),
          {
            latencySeconds: latencyMs / 1000,
            requestsPerSecond: options.requestsPerSecond,
            concurrentRequests: options.concurrentRequests ?? Infinity,
            maxParallelResources: execution.maxParallelResources,
          },
        );
  const seconds = timing?.seconds ?? null;
  return {
    resources,
    requests,
    seconds,
    requestsPerSecond: options.requestsPerSecond,
    latencyMs: Math.round(latencyMs),
    boundBy: timing?.boundBy ?? null,
    fitsEverySeconds: options.everySeconds === undefined ? undefined : { every: options.everySeconds, fits: seconds === null ? null : seconds <= options.everySeconds },
  };
}

export function formatPlan(plan: ExportPlan): string {
  const lines = plan.resources.map((r) => {
    const rows = r.rows === null ? `size unknown (give --estimate ${r.parents ? `${r.resource}=rows or the parent's rows` : `${r.resource}=rows`})` : `${r.rows} rows (${r.source})`;
    const requests = r.requests === null ? '' : `, ${r.requests} requests of ${r.pageSize}${r.secondPass ? ' incl. a second pass (positional paging)' : ''} and the spot check`;
    const parents =
      r.parents === undefined
        ? ''
        : `; ${r.parents.count ?? '?'} parents (${r.parents.from}) × ${r.parents.requestsPerParent?.toFixed(2) ?? '?'} requests each, from ${r.parents.sampled} sampled`;
    return `  ${r.resource}: ${rows}${requests}${parents}`;
  });
  lines.push(`measured latency: ${plan.latencyMs} ms per request (median of the sizing requests)`);
  if (plan.requests === null || plan.seconds === null) lines.push('total: unknown until every resource has a size');
  else {
    const bound = plan.boundBy === 'requests-per-second' ? '' : ` (bound by ${plan.boundBy === 'latency' ? 'round trips: each traversal waits for every answer' : 'the requests a worker has in flight'})`;
    const rate = plan.boundBy === 'requests-per-second' ? plan.requestsPerSecond : Math.round((plan.requests / Math.max(plan.seconds, 1e-9)) * 10) / 10;
    lines.push(`total: ${plan.requests} requests, ${formatDuration(plan.seconds)} at ${rate} requests/s${bound}`);
  }
  if (plan.fitsEverySeconds) {
    const verdict = plan.fitsEverySeconds.fits === null ? 'unknown' : plan.fitsEverySeconds.fits ? 'fits' : 'does NOT fit';
    lines.push(`schedule every ${formatDuration(plan.fitsEverySeconds.every)}: ${verdict}`);
  }
  return lines.join('\n');
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.ceil(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.ceil((seconds % 3600) / 60)} min`;
}

/** `1h`, `30m`, `90s` or plain seconds. */
export function parseInterval(text: string, option = '--every'): number {
  const seconds = intervalSeconds(text);
  if (seconds === undefined) throw new Error(`${option}: expected a duration like 1h, 30m or 90s, got "${text}"`);
  return seconds;
}
