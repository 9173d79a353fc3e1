import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startExport, waitForReport } from '../../src/client/exports';
import { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { startHarness, type Harness } from '../helpers/harness';
import { queryRows, type TestDatabase } from '../helpers/postgres';
import { TOKEN_ENV } from '../helpers/specs';
import { TEST_TIMEOUT_MS } from '../helpers/temporal';

const TASK_QUEUE = 'presets-test';

let harness: Harness;
let env: TestWorkflowEnvironment;
let simulator: LmsSimulator;
let db: TestDatabase;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 1_500 });
  ({ env, simulator, db } = harness);
});

afterAll(() => harness?.stop());

interface Case {
  preset: ExportSpecInput['source']['preset'];
  /** Keyset-stable paging needs no second pass; offset and page-number paging drift and are reconciled. */
  stable: boolean;
  /** Below the simulator's origin. */
  basePath: string;
  resource: ExportSpecInput['resources'][number];
  truthPath: string;
  auth?: NonNullable<ExportSpecInput['source']['auth']>;
}

const CASES: Case[] = [
  { preset: 'canvas', stable: true, basePath: '/api/v1', truthPath: '/api/v1/accounts/1/users', resource: { name: 'canvas_users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 50 } },
  // Key-set tokens bound the ids a traversal reads to those that existed when the server handed them out: rows
  // inserted later are the update scan's (change versions), which runs before the checks.
  { preset: 'edfi', stable: true, basePath: '/data/v3', truthPath: '/data/v3/ed-fi/students', resource: { name: 'edfi_students', path: '/ed-fi/students', primaryKey: ['id'], pageSize: 50, updateScan: { changeVersions: true } } },
  { preset: 'edfi', stable: false, basePath: '/data/v3', truthPath: '/data/v3/ed-fi/students', resource: { name: 'edfi_students_offset', path: '/ed-fi/students', primaryKey: ['id'], pageSize: 50, pagination: { type: 'offset' } } },
  { preset: 'oneroster', stable: false, basePath: '/ims/oneroster/rostering/v1p2', truthPath: '/ims/oneroster/rostering/v1p2/users', resource: { name: 'oneroster_users', path: '/users', primaryKey: ['id'], pageSize: 50 } },
  { preset: 'blackboard', stable: false, basePath: '', truthPath: '/learn/api/public/v1/users', resource: { name: 'learn_users', path: '/learn/api/public/v1/users', primaryKey: ['id'], pageSize: 50 } },
  {
    preset: 'moodle', stable: false, basePath: '', truthPath: '/webservice/rest/server.php?courseid=1', auth: { queryTokenEnv: TOKEN_ENV },
    resource: { name: 'moodle_enrolments', path: '/webservice/rest/server.php', primaryKey: ['id'], pageSize: 25, query: { wsfunction: 'core_enrol_get_enrolled_users', courseid: 1 } },
  },
  { preset: 'generic', stable: true, basePath: '/generic/v1', truthPath: '/generic/v1/events', resource: { name: 'keyset_events', path: '/events', primaryKey: ['id'], pageSize: 40, pagination: { type: 'keyset' } } },
  { preset: 'generic', stable: true, basePath: '/generic/v1', truthPath: '/generic/v1/records', resource: { name: 'cursor_records', path: '/records', primaryKey: ['id'], pageSize: 40, pagination: { type: 'json-cursor', nextCursorPath: 'next_cursor', hasMorePath: 'has_more' } } },
  { preset: 'generic', stable: false, basePath: '/generic/v1', truthPath: '/generic/v1/pages', resource: { name: 'numbered_pages', path: '/pages', primaryKey: ['id'], pageSize: 40, pagination: { type: 'page-number', recordsPath: 'items', totalPagesPath: 'total_pages' } } },
];

describe('every preset against a collection that changes during the run', () => {
  for (const [index, c] of CASES.entries()) {
    const pledge = c.stable ? 'nothing lost, no second pass needed' : 'drift found by a second pass and reconciled';
    it(`${c.preset} ${c.resource.pagination?.type ?? 'default'} paging (${c.resource.name}): ${pledge}`, async () => {
      // Each of the first 20 page requests inserts, updates and deletes a row of the collection being paged (a
      // traversal takes 30 or more). Were the inserts never to stop, a traversal that ends only on an empty page
      // would chase the growing tail for ever.
      const live = new LmsSimulator({ users: 1_500, courses: 3, enrollmentsPerCourse: 700, records: 1_200, mutationsPerPage: { inserts: 1, updates: 1, deletes: 1, forRequests: 20 } });
      await live.start();
      try {
        const before = new Set(live.truth(c.truthPath).map((r) => r.id));
        const spec: ExportSpecInput = {
          name: `preset-${index}`,
          source: { preset: c.preset, baseUrl: live.url + c.basePath, auth: c.auth ?? { bearerTokenEnv: TOKEN_ENV } },
          resources: [c.resource],
          sink: { kind: 'postgres', url: db.url, schema: 'presets' },
        };
        const report = await waitForReport(await startExport(env.client, spec, { taskQueue: TASK_QUEUE }));
        const resource = report.resources[0];
        assert.equal(report.status, 'completed', `${c.preset} ${c.resource.name}: ${resource?.error}`);
        assert.ok((resource?.pages ?? 0) > 10, 'enough pages for the changes to matter');
        assert.ok(live.stats.pageRequests > 20, 'the collection changed during the run, not only before it');

        const now = live.truth(c.truthPath);
        const maxId = Math.max(...now.map((r) => r.id), ...before);
        const stored = (await queryRows<{ id: string }>(db.url, `SELECT id FROM presets.${c.resource.name}`)).map((r) => Number(r.id));
        assert.equal(new Set(stored).size, stored.length, 'no duplicate keys');
        assert.ok(stored.every((id) => id >= 1 && id <= maxId), 'only rows the API served');
        const survivors = now.filter((r) => before.has(r.id)).map((r) => r.id);
        const missing = survivors.filter((id) => !stored.includes(id));
        assert.deepEqual(missing, [], `${c.preset} ${c.resource.name} lost rows that existed for the whole run`);
        if (c.stable) assert.equal(resource?.reconciliation, null);
        else assert.ok((resource?.reconciliation?.inserted ?? 0) > 0, `deletions shifted rows past the first pass; the second found ${JSON.stringify(resource?.reconciliation)}`);
      } finally {
        await live.stop();
      }
    }, TEST_TIMEOUT_MS);
  }

  it('reports the API total as the expected count (Ed-Fi Total-Count, OneRoster X-Total-Count)', async () => {
    const spec = (preset: 'edfi' | 'oneroster', basePath: string, path: string): ExportSpecInput => ({
      name: `total-${preset}`,
      source: { preset, baseUrl: simulator.url + basePath, auth: { bearerTokenEnv: TOKEN_ENV } },
      resources: [{ name: `total_${preset}`, path, primaryKey: ['id'], pageSize: 100 }],
      sink: { kind: 'postgres', url: db.url, schema: 'totals' },
    });
    for (const s of [spec('edfi', '/data/v3', '/ed-fi/students'), spec('oneroster', '/ims/oneroster/rostering/v1p2', '/users')]) {
      const report = await waitForReport(await startExport(env.client, s, { taskQueue: TASK_QUEUE }));
      assert.deepEqual([report.resources[0]?.expectedAtStart, report.resources[0]?.recordsFetched], [1_500, 1_500], s.source.preset);
    }
  }, TEST_TIMEOUT_MS);
});

describe('paging hazards', () => {
  it('refuses a next link to another origin, naming it, and sends that origin nothing', async () => {
    const elsewhere = new LmsSimulator({ users: 10 });
    await elsewhere.start();
    const redirecting = new LmsSimulator({ users: 300, linkOrigin: elsewhere.url });
    await redirecting.start();
    try {
      const spec: ExportSpecInput = {
        name: 'foreign-link',
        source: { preset: 'canvas', baseUrl: `${redirecting.url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV } },
        resources: [{ name: 'foreign_users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 100 }],
        sink: { kind: 'postgres', url: db.url, schema: 'hazards' },
      };
      const report = await waitForReport(await startExport(env.client, spec, { taskQueue: TASK_QUEUE }));
      assert.equal(report.status, 'failed');
      const error = report.resources[0]?.error ?? '';
      // Named by origin and path; its cursor is masked, as in every message (a bookmark can encode record values).
      assert.ok(error.includes(`next page link ${elsewhere.url}/api/v1/accounts/1/users?per_page=100&page=<cursor> points to`), error);
      assert.ok(error.includes(`outside the source origin ${redirecting.url}; refusing to follow it`), error);
      assert.equal(redirecting.stats.pageRequests, 1, 'the page with the foreign link was the only request');
      assert.equal(elsewhere.stats.pageRequests, 0, 'the other origin received no request');
      // The page itself came from the source: its records are stored before the traversal stops.
      const stored = await queryRows<{ id: string }>(db.url, 'SELECT id FROM hazards.foreign_users ORDER BY id::int');
      assert.deepEqual(stored.map((r) => Number(r.id)), redirecting.truth('/api/v1/accounts/1/users').slice(0, 100).map((r) => r.id));
    } finally {
      await redirecting.stop();
      await elsewhere.stop();
    }
  }, TEST_TIMEOUT_MS);

  it('stops a server that hands back an old token, within a few requests, with a clear error', async () => {
    const looping = new LmsSimulator({ users: 2_000, repeatTokenAfterPages: 3 });
    await looping.start();
    try {
      const spec: ExportSpecInput = {
        name: 'token-loop',
        source: { preset: 'edfi', baseUrl: `${looping.url}/data/v3`, auth: { bearerTokenEnv: TOKEN_ENV } },
        resources: [{ name: 'loop_students', path: '/ed-fi/students', primaryKey: ['id'], pageSize: 100 }],
        sink: { kind: 'postgres', url: db.url, schema: 'hazards' },
      };
      const report = await waitForReport(await startExport(env.client, spec, { taskQueue: TASK_QUEUE }));
      assert.equal(report.status, 'failed');
      assert.match(report.resources[0]?.error ?? '', /the server sent a next page already requested in this traversal .*pageToken=.*; stopping instead of looping/);
      const collectionRequests = looping.stats.byPath['/data/v3/ed-fi/students'] ?? 0;
      assert.ok(collectionRequests <= 8, `stopped after ${collectionRequests} requests of the collection`);
    } finally {
      await looping.stop();
    }
  }, TEST_TIMEOUT_MS);

  it("stops on Moodle's HTTP 200 invalid-token error, naming the variable to check", async () => {
    process.env['PAGING_TEST_WRONG_MOODLE_TOKEN'] = 'wrong';
    const spec: ExportSpecInput = {
      name: 'moodle-token',
      source: { preset: 'moodle', baseUrl: simulator.url, auth: { queryTokenEnv: 'PAGING_TEST_WRONG_MOODLE_TOKEN' } },
      resources: [{ name: 'moodle_denied', path: '/webservice/rest/server.php', primaryKey: ['id'], query: { wsfunction: 'core_enrol_get_enrolled_users', courseid: 2 } }],
      sink: { kind: 'postgres', url: db.url, schema: 'hazards' },
    };
    const report = await waitForReport(await startExport(env.client, spec, { taskQueue: TASK_QUEUE }));
    const error = report.resources[0]?.error ?? '';
    assert.match(error, /Moodle invalidtoken \(moodle_exception\): Invalid token - token not found on GET \/webservice\/rest\/server\.php\?\S*wsfunction=core_enrol_get_enrolled_users\S* \(check the token in PAGING_TEST_WRONG_MOODLE_TOKEN\)/);
    assert.ok(!error.includes('wrong'), 'the token value is never shown');
  }, TEST_TIMEOUT_MS);
});

describe('expired cursors', () => {
  for (const [preset, basePath, path, truthPath] of [
    ['edfi', '/data/v3', '/ed-fi/students', '/data/v3/ed-fi/students'],
    ['canvas', '/api/v1', '/accounts/1/users', '/api/v1/accounts/1/users'],
  ] as const) {
    it(`${preset}: a cursor the server rejects mid-run restarts the traversal, ends exact, and is counted`, async () => {
      const expiring = new LmsSimulator({ users: 1_000, expireCursorAtRequest: 6 });
      await expiring.start();
      try {
        const spec: ExportSpecInput = {
          name: `expiry-${preset}`,
          source: { preset, baseUrl: expiring.url + basePath, auth: { bearerTokenEnv: TOKEN_ENV } },
          resources: [{ name: `expiry_${preset}`, path, primaryKey: ['id'], pageSize: 100 }],
          sink: { kind: 'postgres', url: db.url, schema: 'expiry' },
        };
        const report = await waitForReport(await startExport(env.client, spec, { taskQueue: TASK_QUEUE }));
        const resource = report.resources[0];
        assert.equal(report.status, 'completed', resource?.error);
        assert.equal(resource?.cursorRecoveries, 1);
        const stored = await queryRows<{ id: string }>(db.url, `SELECT id FROM expiry.expiry_${preset}`);
        assert.deepEqual(stored.map((r) => Number(r.id)).sort((a, b) => a - b), expiring.truth(truthPath).map((r) => r.id));
        const audit = await queryRows<{ traversal: string }>(db.url, `SELECT DISTINCT traversal FROM expiry._lms_page_audit WHERE traversal LIKE 'expiry_${preset}%' ORDER BY 1`);
        assert.deepEqual(audit.map((a) => a.traversal), [`expiry_${preset}`, `expiry_${preset}~restart1`], 'the restart shows in the audit trail');
      } finally {
        await expiring.stop();
      }
    }, TEST_TIMEOUT_MS);
  }
});
