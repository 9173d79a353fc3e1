import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import type { Row } from '../../src/simulator/dataset';
import { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import type { ResourceReport, RunReport } from '../../src/workflows/report';
import { queryRows } from '../helpers/postgres';
import { startHarness, type Harness } from '../helpers/harness';
import { TOKEN_ENV } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

/**
 * The contract between each LMS preset and its API: real exports through Temporal against a strict simulator,
 * which refuses what the real server refuses (src/simulator/apis/*-rules.ts). Every kind of request the preset
 * sends goes out — first and next pages, the second pass over positional paging, the completeness spot checks,
 * per-parent children of a fan-out — and a second run after a row is deleted at the source runs the deletion
 * scan. Not one request may break a rule, and the stored rows equal the source's.
 *
 * No update scan: none of these APIs documents a changed-since parameter on the collections simulated here
 * (Canvas ignores `updated_since` on them, OneRoster filters on `dateLastModified`, Learn has `modified` with
 * `modifiedCompare`, Moodle has neither), so the preset has none to send.
 */
const TASK_QUEUE = 'contract-lms-test';
/** Small collections, paged small: several pages per traversal, a few seconds per run. */
const DATA = { users: 45, courses: 4, enrollmentsPerCourse: 12, submissionsPerCourse: 6, records: 10 };
const PAGE = 10;

let harness: Harness;
let runs = 0;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 10 });
});

afterAll(async () => {
  await harness?.stop();
});

interface Contract {
  preset: 'canvas' | 'oneroster' | 'blackboard' | 'moodle';
  basePath: string;
  auth?: NonNullable<ExportSpecInput['source']['auth']>;
  resources: ExportSpecInput['resources'];
  /** What each table must hold: the source's rows now, per resource. */
  truth(simulator: LmsSimulator): Record<string, Row[]>;
  /** Resources paged by position, which get a second pass. */
  positional: string[];
  /** A row the source loses between the two runs, and the resource that must flag it. */
  lose: { collection: 'users' | 'enrollments'; resource: string };
}

const perCourse = (simulator: LmsSimulator, path: (id: number) => string): Row[] => simulator.data.list('courses').flatMap((c) => simulator.truth(path(c.id)));

const CONTRACTS: Contract[] = [
  {
    preset: 'canvas',
    basePath: '/api/v1',
    resources: [
      { name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: PAGE },
      { name: 'courses', path: '/courses', primaryKey: ['id'], pageSize: 2 },
      { name: 'enrollments', path: '/courses/{course_id}/enrollments', primaryKey: ['id'], pageSize: 5, parent: { resource: 'courses', as: 'course_id' } },
      { name: 'submissions', path: '/courses/{course_id}/students/submissions', primaryKey: ['id'], pageSize: 4, parent: { resource: 'courses', as: 'course_id' } },
    ],
    truth: (s) => ({
      users: s.truth('/api/v1/accounts/1/users'),
      courses: s.truth('/api/v1/courses'),
      enrollments: perCourse(s, (id) => `/api/v1/courses/${id}/enrollments`),
      submissions: perCourse(s, (id) => `/api/v1/courses/${id}/students/submissions`),
    }),
    positional: ['courses', 'submissions'],
    lose: { collection: 'users', resource: 'users' },
  },
  {
    preset: 'oneroster',
    basePath: '/ims/oneroster/rostering/v1p2',
    resources: [
      { name: 'users', path: '/users', primaryKey: ['id'], pageSize: PAGE },
      { name: 'classes', path: '/classes', primaryKey: ['id'], pageSize: 3 },
      { name: 'enrollments', path: '/enrollments', primaryKey: ['id'], pageSize: PAGE },
    ],
    truth: (s) => ({
      users: s.truth('/ims/oneroster/rostering/v1p2/users'),
      classes: s.truth('/ims/oneroster/rostering/v1p2/classes'),
      enrollments: s.truth('/ims/oneroster/rostering/v1p2/enrollments'),
    }),
    positional: ['users', 'classes', 'enrollments'],
    lose: { collection: 'users', resource: 'users' },
  },
  {
    preset: 'blackboard',
    basePath: '',
    resources: [
      { name: 'users', path: '/learn/api/public/v1/users', primaryKey: ['id'], pageSize: PAGE },
      { name: 'courses', path: '/learn/api/public/v3/courses', primaryKey: ['id'], pageSize: 3 },
    ],
    truth: (s) => ({ users: s.truth('/learn/api/public/v1/users'), courses: s.truth('/learn/api/public/v3/courses') }),
    positional: ['users', 'courses'],
    lose: { collection: 'users', resource: 'users' },
  },
  {
    preset: 'moodle',
    basePath: '',
    auth: { queryTokenEnv: TOKEN_ENV },
    resources: [
      { name: 'courses', path: '/webservice/rest/server.php', primaryKey: ['id'], query: { wsfunction: 'core_course_get_courses' } },
      {
        name: 'enrolments',
        path: '/webservice/rest/server.php?courseid={course_id}',
        primaryKey: ['id'],
        pageSize: 5,
        query: { wsfunction: 'core_enrol_get_enrolled_users' },
        parent: { resource: 'courses', as: 'course_id' },
      },
    ],
    truth: (s) => ({ courses: s.data.list('courses'), enrolments: perCourse(s, (id) => `/webservice/rest/server.php?courseid=${id}`) }),
    positional: ['enrolments'],
    lose: { collection: 'enrollments', resource: 'enrolments' },
  },
];

async function run(spec: ExportSpecInput): Promise<RunReport> {
  runs += 1;
  return waitForReport(await startExport(harness.env.client, spec, { taskQueue: TASK_QUEUE, workflowId: `contract-lms-${runs}` }));
}

/** The rows a table holds that no deletion scan has flagged, in id order. */
async function liveRows(schema: string, table: string): Promise<Array<Record<string, unknown>>> {
  const rows = await queryRows<{ _record: Record<string, unknown> }>(
    harness.db.url,
    `SELECT _record FROM ${schema}.${table} t WHERE NOT EXISTS (SELECT 1 FROM ${schema}._lms_deletions d WHERE d.record_key = t._key AND d.resource = $1 AND d.status = 'flagged')`,
    [table],
  );
  return rows.map((r) => r._record).sort((a, b) => Number(a['id']) - Number(b['id']));
}

/** Second-pass traversals of a resource in the audit trail (`<resource>~reconcile`, `<resource>/<parent>~reconcile`). */
async function secondPasses(schema: string, name: string): Promise<number> {
  const rows = await queryRows(harness.db.url, `SELECT DISTINCT traversal FROM ${schema}._lms_page_audit WHERE traversal LIKE $1 || '%~reconcile'`, [name]);
  return rows.length;
}

function resource(report: RunReport, name: string): ResourceReport {
  const found = report.resources.find((r) => r.resource === name);
  assert.ok(found !== undefined, `the report has ${name}`);
  return found;
}

describe('LMS contracts: a strict simulator refuses nothing a preset sends', () => {
  for (const c of CONTRACTS) {
    it(`${c.preset}: pages, second passes, spot checks, fan-out children and a deletion scan, all accepted, exact`, async () => {
      const simulator = new LmsSimulator(DATA);
      await simulator.start();
      try {
        const schema = `contract_${c.preset}`;
        const spec: ExportSpecInput = {
          name: `contract-${c.preset}`,
          source: { preset: c.preset, baseUrl: simulator.url + c.basePath, auth: c.auth ?? { bearerTokenEnv: TOKEN_ENV }, requestBudget: { requestsPerSecond: 500 } },
          resources: c.resources,
          sink: { kind: 'postgres', url: harness.db.url, schema },
        };

        const first = await run(spec);
        assert.equal(first.status, 'completed', first.resources.map((r) => r.error).filter(Boolean).join('; '));
        for (const r of first.resources) {
          assert.equal(r.completeness?.verdict, 'complete', `${r.resource}: ${JSON.stringify(r.completeness?.findings)}`);
          if (c.positional.includes(r.resource)) assert.ok((await secondPasses(schema, r.resource)) > 0, `${r.resource}: a second pass ran`);
          if (r.parents !== undefined) {
            assert.equal(r.parents.done, DATA.courses, `${r.resource}: one child per course`);
            assert.equal(r.parents.failedCount + r.parents.goneCount, 0, `${r.resource}: no child failed`);
            continue;
          }
          assert.ok((r.completeness?.findings.spotChecks.length ?? 0) > 0, `${r.resource}: spot checks ran`);
        }
        assert.ok(first.resources.some((r) => (r.pages ?? 0) > 1), 'several pages');

        // The source loses a row between runs: the second run's deletion scan flags it.
        const lost = simulator.data.list(c.lose.collection).at(-1) as Row;
        simulator.data.delete(c.lose.collection, lost.id);
        const second = await run(spec);
        assert.equal(second.status, 'completed', second.resources.map((r) => r.error).filter(Boolean).join('; '));
        assert.equal(resource(second, c.lose.resource).deletionScan?.outcome, 'flagged');
        const flagged = await queryRows<{ record_key: string }>(harness.db.url, `SELECT record_key FROM ${schema}._lms_deletions WHERE resource = $1 AND status = 'flagged'`, [c.lose.resource]);
        assert.deepEqual(flagged.map((r) => JSON.parse(r.record_key) as string[]), [[String(lost.id)]]);

        assert.deepEqual(simulator.stats.breaches, [], 'no request broke a rule of the real API');
        assert.ok(simulator.stats.pageRequests > 20, `${simulator.stats.pageRequests} requests`);
        for (const [table, rows] of Object.entries(c.truth(simulator))) {
          assert.ok(rows.length > 0, `${table} has rows at the source`);
          assert.deepEqual(await liveRows(schema, table), [...rows].sort((a, b) => a.id - b.id), `${table} equals the source`);
        }
      } finally {
        await simulator.stop();
      }
    }, TEST_TIMEOUT_MS);
  }
});
