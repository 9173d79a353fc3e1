import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { blackboardRoutes } from './apis/blackboard';
import { canvasRoutes } from './apis/canvas';
import { EDFI_DEFAULT_VERSION, edfiRoutesFor } from './apis/edfi';
import { genericRoutes } from './apis/generic';
import { moodleRoutes } from './apis/moodle';
import { onerosterRoutes } from './apis/oneroster';
import { Dataset, type CollectionName, type DatasetOptions, type Row } from './dataset';
import { FaultInjector, inflict, type FaultOptions } from './faults';
import { LeakyBucket, type BucketOptions } from './leaky-bucket';
import { isMalformed, malformBody, type MalformedOptions } from './malformed';
import { changeShape } from './schema-change';
import { intParam, type RuleBreach, type SimResponse, type SimRoute } from './route';

/**
 * A real HTTP server on 127.0.0.1 that behaves like the LMS APIs we export from (Canvas, Ed-Fi, OneRoster,
 * Blackboard, Moodle and plain JSON APIs, one file each under apis/): their paging, page-size limits, totals,
 * auth and error formats, plus latency, live mutation while a traversal runs and a few server bugs on demand.
 * `/_sim/truth/<path>` serves the ground truth for tests.
 */

export interface SimulatorOptions extends Partial<DatasetOptions> {
  token?: string;
  latencyMs?: number;
  host?: string;
  port?: number;
  /** Exact changes at exact moments: before the page request with this number is served (deterministic tests). */
  mutationPlan?: Array<{ atRequest: number; collection: CollectionName; update?: number[]; delete?: number[]; insert?: number }>;
  /** Changes applied to the paged collection before each page is served (live data under a traversal). */
  mutationsPerPage?: { inserts?: number; updates?: number; deletes?: number; forRequests?: number };
  /** Next links point at this origin instead of ours (a redirecting or misconfigured server). */
  linkOrigin?: string;
  /** Ed-Fi cursor pages past this many hand back an older token (a server bug that loops a naive client). */
  repeatTokenAfterPages?: number;
  /** The page request with this number, if it carries a cursor (Ed-Fi token, Canvas bookmark), finds it expired. */
  expireCursorAtRequest?: number;
  /** Once an empty page has been served (a traversal's end), every cursor finds itself expired (a short token lifetime). */
  expireCursorsAfterLastPage?: boolean;
  /** Fail this share of requests in the ways real APIs fail. */
  faults?: FaultOptions;
  /** Throttle Canvas routes with Canvas's leaky bucket (its defaults unless given). */
  canvasBucket?: BucketOptions;
  /**
   * The answer to the request with this number among those carrying a cursor (Ed-Fi key-set pages: the first
   * page's token comes from the server too) hands out a next cursor that skips a page: a page silently dropped.
   */
  dropPageAfterPages?: number;
  /** From this page request on, records change shape: a new field and a field whose type changes. */
  schemaChangeAtRequest?: number;
  /** Serve this share of records damaged (missing field, wrong type, null key); see malformed.ts. */
  malformed?: MalformedOptions;
  /** Answer these request numbers 429 with a Retry-After of `seconds`, as a number or as an HTTP date. */
  throttle?: { requests: number[]; seconds: number; form: 'seconds' | 'http-date' };
  /**
   * Serve requests that break the real API's rules (apis/*: each route's `rules`) instead of refusing them as the
   * real server does. Only for tests of our own behaviour on a server that lets them through; breaches are
   * counted either way.
   */
  lenient?: boolean;
  /** The Ed-Fi ODS/API version to play (default 7.3.0); before 7.3 there is no key-set paging. */
  edfiVersion?: string;
  /** Serve no version document at the API root (a deployment that hides it): clients must tell the version otherwise. */
  edfiHideVersion?: boolean;
}

export interface SimulatorStats {
  /** API page requests answered (auth failures included), not counting `/_sim` endpoints. */
  pageRequests: number;
  unauthorized: number;
  /** Requests for paths no simulated API serves (answered 404). */
  notFound: number;
  byCollection: Record<string, number>;
  /** API requests per path (without the query). */
  byPath: Record<string, number>;
  /** The most requests in flight at once, and how many are now. */
  peakInFlight: number;
  inFlight: number;
  /** When each API request arrived (ms since the epoch), and which got a 429. */
  arrivals: number[];
  throttled: number[];
  /** Requests that broke a rule of the real API (refused unless the simulator is lenient). */
  breaches: RuleBreach[];
}

function routesOf(options: SimulatorOptions): SimRoute[] {
  return [...canvasRoutes, ...edfiRoutesFor(options.edfiVersion ?? EDFI_DEFAULT_VERSION, options.edfiHideVersion === true), ...onerosterRoutes, ...blackboardRoutes, ...moodleRoutes, ...genericRoutes];
}

export const DEFAULT_SIMULATOR_TOKEN = 'sim-token';

export class LmsSimulator {
  readonly data: Dataset;
  readonly stats: SimulatorStats = { pageRequests: 0, unauthorized: 0, notFound: 0, byCollection: {}, byPath: {}, peakInFlight: 0, inFlight: 0, arrivals: [], throttled: [], breaches: [] };
  readonly bucket: LeakyBucket | undefined;
  /** Replace it mid-run to start or stop a fault storm. */
  faults: FaultInjector | undefined;
  /** Paths that answer with this status whatever is asked (a course closed to us: 403; a broken one: 400). */
  refusals: Record<string, number> = {};
  latencyMs: number;
  private server: Server | undefined;
  private baseUrl = '';
  private readonly routes: SimRoute[];
  /** Set when `expireCursorsAfterLastPage` has seen its empty page. */
  private cursorsExpired = false;
  /** Requests carrying a cursor so far (see `dropPageAfterPages`). */
  private cursorRequests = 0;

  constructor(private readonly options: SimulatorOptions = {}) {
    this.data = new Dataset({
      seed: options.seed ?? 42,
      users: options.users ?? 2_000,
      courses: options.courses ?? 20,
      enrollmentsPerCourse: options.enrollmentsPerCourse ?? (options.enrollmentsPerCourseMax === undefined ? 150 : 0),
      submissionsPerCourse: options.submissionsPerCourse ?? 100,
      records: options.records ?? 1_000,
      enrollmentsPerCourseMax: options.enrollmentsPerCourseMax,
      assignmentsPerCourse: options.assignmentsPerCourse,
      submissionsPerAssignment: options.submissionsPerAssignment,
    });
    this.routes = routesOf(options);
    this.latencyMs = options.latencyMs ?? 0;
    this.faults = options.faults && new FaultInjector(options.faults);
    this.bucket = options.canvasBucket && new LeakyBucket(options.canvasBucket);
  }

  get token(): string {
    return this.options.token ?? DEFAULT_SIMULATOR_TOKEN;
  }

  /** e.g. http://127.0.0.1:4010 */
  get url(): string {
    return this.baseUrl;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const address = server.address() as AddressInfo;
    this.baseUrl = `http://${address.address}:${address.port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  /** The rows a complete export of this path (and query, where it selects rows) must hold now, in id order. */
  truth(pathAndQuery: string): Row[] {
    const url = new URL(pathAndQuery, 'http://simulator.invalid');
    const found = this.route(url.pathname);
    if (found === undefined) throw new Error(`no simulated collection at ${pathAndQuery}`);
    return this.rowsFor(found.route, found.match, url).map((r) => ({ ...r }));
  }

  /** The rows of `truth(pathAndQuery)` that are served damaged (none unless `malformed` is set). */
  malformedRows(pathAndQuery: string): Row[] {
    const options = this.options.malformed;
    return options === undefined ? [] : this.truth(pathAndQuery).filter((r) => isMalformed(r.id, options));
  }

  private route(path: string): { route: SimRoute; match: RegExpMatchArray } | undefined {
    for (const route of this.routes) {
      const match = path.match(route.pattern);
      if (match !== null) return { route, match };
    }
    return undefined;
  }

  private rowsFor(route: SimRoute, match: RegExpMatchArray, url: URL): Row[] {
    const rows = this.data.list(route.collection);
    const since = url.searchParams.get('updated_since');
    // `updated_since` (inclusive), as Canvas and most JSON APIs that can filter by change spell it.
    const bySince = since === null ? rows : rows.filter((r) => String(r['updated_at']) >= new Date(since).toISOString());
    // Ed-Fi change queries: rows whose last change version is within [minChangeVersion, maxChangeVersion].
    const min = intParam(url, 'minChangeVersion', -Infinity);
    const max = intParam(url, 'maxChangeVersion', Infinity);
    const changed = min === -Infinity && max === Infinity ? bySince : bySince.filter((r) => {
      const version = this.data.versionOf(route.collection, r.id);
      return version >= min && version <= max;
    });
    return route.filter === undefined ? changed : changed.filter((r) => route.filter?.(r, match, url));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    if (url.pathname.startsWith('/_sim/')) return this.handleControl(url, res);
    const found = this.route(url.pathname);
    if (found === undefined) this.stats.notFound += 1;
    if (found === undefined) return send(res, { status: 404, body: { errors: [{ message: 'The specified resource does not exist.' }] } });
    const { route, match } = found;
    this.stats.pageRequests += 1;
    this.stats.arrivals.push(Date.now());
    this.stats.byCollection[route.collection] = (this.stats.byCollection[route.collection] ?? 0) + 1;
    this.stats.byPath[url.pathname] = (this.stats.byPath[url.pathname] ?? 0) + 1;
    this.stats.inFlight += 1;
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.stats.inFlight);
    // The bucket reserves its upfront units on arrival and charges the real cost when the answer is ready.
    const bucket = route.collection !== 'records' ? this.bucket : undefined;
    const admitted = bucket === undefined || bucket.admit();
    try {
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      const presented = route.auth === 'query' ? url.searchParams.get('wstoken') : req.headers.authorization?.replace(/^Bearer /, '');
      if (route.auth !== 'none' && presented !== this.token) {
        this.stats.unauthorized += 1;
        return send(res, route.unauthorized?.() ?? { status: 401, body: { error: 'unauthorized' } });
      }
      const refusedByRule = this.checkRules(route, { url, method: req.method ?? 'GET', headers: req.headers });
      if (refusedByRule !== undefined) return send(res, refusedByRule);
      if (bucket !== undefined && !admitted) {
        this.stats.throttled.push(Date.now());
        const status = bucket.throttleWith;
        res.writeHead(status, { 'Content-Type': 'text/plain', ...bucket.headers() });
        res.end(status === 403 ? '403 Forbidden (Rate Limit Exceeded)' : 'Rate Limit Exceeded');
        return;
      }
      const throttle = this.options.throttle;
      if (throttle?.requests.includes(this.stats.pageRequests)) return this.throttle(res, throttle);
      const fault = this.faults?.draw();
      if (fault !== undefined) return inflict(fault, req, res);
      this.applyMutations(route.collection);
      const refusal = this.refusals[url.pathname];
      if (refusal !== undefined) return send(res, { status: refusal, body: { errors: [{ message: refusal === 403 ? 'user not authorized to perform that action' : 'invalid request for this course' }] } });
      if (route.parentExists !== undefined && !route.parentExists(match, this.data)) {
        return send(res, { status: 404, body: { errors: [{ message: 'The specified resource does not exist.' }] } });
      }
      if (carriesCursor(url)) this.cursorRequests += 1;
      const ctx = {
        url,
        linkOrigin: this.options.linkOrigin ?? this.baseUrl,
        repeatTokenAfterPages: this.options.repeatTokenAfterPages,
        expireCursor: this.stats.pageRequests === this.options.expireCursorAtRequest || this.cursorsExpired,
        skipNextPage: carriesCursor(url) && this.cursorRequests === this.options.dropPageAfterPages,
        edfiVersion: this.options.edfiVersion ?? EDFI_DEFAULT_VERSION,
        data: this.data,
      };
      const answer = route.serve(this.rowsFor(route, match, url), ctx);
      if (this.options.expireCursorsAfterLastPage === true && carriesCursor(url) && Array.isArray(answer.body) && answer.body.length === 0) this.cursorsExpired = true;
      if (this.options.malformed !== undefined) answer.body = malformBody(answer.body, route.collection, this.options.malformed);
      const changeAt = this.options.schemaChangeAtRequest;
      if (changeAt !== undefined && this.stats.pageRequests >= changeAt) answer.body = changeShape(answer.body);
      if (bucket !== undefined) answer.headers = { ...answer.headers, ...bucket.settle() };
      return send(res, answer);
    } finally {
      this.stats.inFlight -= 1;
    }
  }

  /** The first rule of the route this request breaks: counted, and answered as the real server would unless lenient. */
  private checkRules(route: SimRoute, request: Parameters<NonNullable<SimRoute['rules']>[number]['check']>[0]): SimResponse | undefined {
    for (const rule of route.rules ?? []) {
      const answer = rule.check(request);
      if (answer === undefined) continue;
      const shown = new URL(request.url);
      if (shown.searchParams.has('wstoken')) shown.searchParams.set('wstoken', '***');
      this.stats.breaches.push({ rule: rule.id, request: `${request.method} ${shown.pathname}${shown.search}`, refused: this.options.lenient !== true });
      return this.options.lenient === true ? undefined : answer;
    }
    return undefined;
  }

  private throttle(res: ServerResponse, throttle: NonNullable<SimulatorOptions['throttle']>): void {
    this.stats.throttled.push(Date.now());
    // An HTTP date has whole seconds: round up, so the date is never sooner than `seconds` from now.
    const at = Math.ceil((Date.now() + throttle.seconds * 1000) / 1000) * 1000;
    const retryAfter = throttle.form === 'seconds' ? String(throttle.seconds) : new Date(at).toUTCString();
    send(res, { status: 429, headers: { 'retry-after': retryAfter }, body: { errors: [{ message: 'Rate Limit Exceeded' }] } });
  }

  private applyMutations(collection: CollectionName): void {
    for (const step of this.options.mutationPlan ?? []) {
      if (step.atRequest !== this.stats.pageRequests) continue;
      for (const id of step.update ?? []) this.data.update(step.collection, id, { revision: ((this.data.list(step.collection).find((r) => r.id === id)?.['revision'] as number | undefined) ?? 0) + 1 });
      for (const id of step.delete ?? []) this.data.delete(step.collection, id);
      for (let i = 0; i < (step.insert ?? 0); i++) this.data.mutateOnce(step.collection, 'insert');
    }
    const plan = this.options.mutationsPerPage;
    if (plan === undefined || this.stats.pageRequests > (plan.forRequests ?? Infinity)) return;
    for (let i = 0; i < (plan.inserts ?? 0); i++) this.data.mutateOnce(collection, 'insert');
    for (let i = 0; i < (plan.updates ?? 0); i++) this.data.mutateOnce(collection, 'update');
    for (let i = 0; i < (plan.deletes ?? 0); i++) this.data.mutateOnce(collection, 'delete');
  }

  private handleControl(url: URL, res: ServerResponse): void {
    const truthPath = url.pathname.match(/^\/_sim\/truth(\/.+)$/)?.[1];
    if (truthPath !== undefined && this.route(truthPath) !== undefined) return send(res, { status: 200, body: this.truth(truthPath + url.search) });
    if (url.pathname === '/_sim/stats') return send(res, { status: 200, body: this.stats });
    return send(res, { status: 404, body: { error: `unknown control endpoint ${url.pathname}` } });
  }
}

/** Whether a request continues a traversal from a server cursor (an Ed-Fi token, a JSON cursor, a Canvas bookmark). */
function carriesCursor(url: URL): boolean {
  return url.searchParams.has('pageToken') || url.searchParams.has('cursor') || (url.searchParams.get('page') ?? '').startsWith('bookmark:');
}

function send(res: ServerResponse, response: SimResponse): void {
  const text = JSON.stringify(response.body);
  res.writeHead(response.status, {
    // An API's own content type (Ed-Fi's problem+json) replaces the default instead of being sent beside it.
    ...(Object.keys(response.headers ?? {}).some((name) => name.toLowerCase() === 'content-type') ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
    ...response.headers,
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
