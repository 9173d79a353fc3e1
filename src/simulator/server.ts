import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bookmarkPage, numberedPage } from './canvas-paging';
import { Dataset, type CollectionName, type DatasetOptions, type Row } from './dataset';

/**
 * A real HTTP server on 127.0.0.1 that behaves like the LMS APIs we export from: Canvas-style Link-header
 * collections (numbered and bookmarked), a generic JSON-cursor endpoint, bearer-token auth, latency and live
 * mutation while a traversal runs. `/_sim/truth/<collection>` serves the ground truth for tests.
 */

export interface SimulatorOptions extends Partial<DatasetOptions> {
  token?: string;
  latencyMs?: number;
  host?: string;
  port?: number;
  /** Changes applied to the paged collection before each page is served (live data under a traversal). */
  mutationsPerPage?: { inserts?: number; updates?: number; deletes?: number };
}

export interface SimulatorStats {
  /** API page requests answered (auth failures included), not counting `/_sim` endpoints. */
  pageRequests: number;
  unauthorized: number;
  byCollection: Record<string, number>;
}

interface Route {
  pattern: RegExp;
  collection: CollectionName;
  paging: 'numbered' | 'bookmark' | 'json-cursor';
  /** Rows of the collection that this path serves (a course's enrollments, say). */
  filter?: (row: Row, match: RegExpMatchArray) => boolean;
}

const byCourse = (row: Row, match: RegExpMatchArray): boolean => row['course_id'] === Number(match[1]);

const ROUTES: Route[] = [
  { pattern: /^\/api\/v1\/accounts\/\d+\/users$/, collection: 'users', paging: 'bookmark' },
  { pattern: /^\/api\/v1\/courses$/, collection: 'courses', paging: 'numbered' },
  { pattern: /^\/api\/v1\/courses\/(\d+)\/enrollments$/, collection: 'enrollments', paging: 'bookmark', filter: byCourse },
  { pattern: /^\/api\/v1\/courses\/(\d+)\/students\/submissions$/, collection: 'submissions', paging: 'numbered', filter: byCourse },
  { pattern: /^\/generic\/v1\/records$/, collection: 'records', paging: 'json-cursor' },
];

export const DEFAULT_SIMULATOR_TOKEN = 'sim-token';

export class LmsSimulator {
  readonly data: Dataset;
  readonly stats: SimulatorStats = { pageRequests: 0, unauthorized: 0, byCollection: {} };
  latencyMs: number;
  private server: Server | undefined;
  private baseUrl = '';

  constructor(private readonly options: SimulatorOptions = {}) {
    this.data = new Dataset({
      seed: options.seed ?? 42,
      users: options.users ?? 2_000,
      courses: options.courses ?? 20,
      enrollmentsPerCourse: options.enrollmentsPerCourse ?? 150,
      submissionsPerCourse: options.submissionsPerCourse ?? 100,
      records: options.records ?? 1_000,
    });
    this.latencyMs = options.latencyMs ?? 0;
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

  /** The rows a complete export of this path must hold right now, in id order. */
  truth(path: string): Row[] {
    const found = this.route(path);
    if (found === undefined) throw new Error(`no simulated collection at ${path}`);
    return this.rowsFor(found.route, found.match).map((r) => ({ ...r }));
  }

  private route(path: string): { route: Route; match: RegExpMatchArray } | undefined {
    for (const route of ROUTES) {
      const match = path.match(route.pattern);
      if (match !== null) return { route, match };
    }
    return undefined;
  }

  private rowsFor(route: Route, match: RegExpMatchArray): Row[] {
    const rows = this.data.list(route.collection);
    return route.filter === undefined ? rows : rows.filter((r) => route.filter?.(r, match));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    if (url.pathname.startsWith('/_sim/')) return this.handleControl(url, res);
    const found = this.route(url.pathname);
    if (found === undefined) return send(res, 404, { errors: [{ message: 'The specified resource does not exist.' }] });
    this.stats.pageRequests += 1;
    this.stats.byCollection[found.route.collection] = (this.stats.byCollection[found.route.collection] ?? 0) + 1;
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      this.stats.unauthorized += 1;
      res.setHeader('WWW-Authenticate', 'Bearer realm="canvas-lms"');
      return send(res, 401, { errors: [{ message: 'Invalid access token.' }] });
    }
    this.applyMutations(found.route.collection);
    const rows = this.rowsFor(found.route, found.match);
    if (found.route.paging === 'json-cursor') return send(res, 200, jsonCursorPage(rows, url));
    const page = found.route.paging === 'numbered' ? numberedPage(rows, url) : bookmarkPage(rows, url);
    res.setHeader('Link', page.link);
    return send(res, 200, page.rows);
  }

  private applyMutations(collection: CollectionName): void {
    const plan = this.options.mutationsPerPage;
    if (plan === undefined) return;
    for (let i = 0; i < (plan.inserts ?? 0); i++) this.data.mutateOnce(collection, 'insert');
    for (let i = 0; i < (plan.updates ?? 0); i++) this.data.mutateOnce(collection, 'update');
    for (let i = 0; i < (plan.deletes ?? 0); i++) this.data.mutateOnce(collection, 'delete');
  }

  private handleControl(url: URL, res: ServerResponse): void {
    const truthPath = url.pathname.match(/^\/_sim\/truth(\/.+)$/)?.[1];
    if (truthPath !== undefined && this.route(truthPath) !== undefined) return send(res, 200, this.truth(truthPath));
    if (url.pathname === '/_sim/stats') return send(res, 200, this.stats);
    return send(res, 404, { error: `unknown control endpoint ${url.pathname}` });
  }
}

/** Generic cursor API: `{ data, next_cursor, has_more }`; the cursor is an opaque keyset position. */
function jsonCursorPage(rows: Row[], url: URL): unknown {
  const limit = Math.min(Math.max(1, Number(url.searchParams.get('limit') ?? 50) || 50), 1_000);
  const cursor = url.searchParams.get('cursor');
  const after = cursor === null ? 0 : Number(Buffer.from(cursor, 'base64url').toString()) || 0;
  const start = rows.findIndex((r) => r.id > after);
  const data = start < 0 ? [] : rows.slice(start, start + limit);
  const last = data[data.length - 1];
  const hasMore = start >= 0 && start + limit < rows.length;
  return { data, next_cursor: hasMore && last !== undefined ? Buffer.from(String(last.id)).toString('base64url') : null, has_more: hasMore };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
