import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startExport, waitForReport } from '../../src/client/exports';
import { cursorDigest } from '../../src/privacy/cursor-digest';
import { LmsSimulator } from '../../src/simulator/server';
import { pauseSignal, progressQuery, resumeSignal, runProgressQuery } from '../../src/workflows/definitions';
import { allRunHistories, assertReplays, historyText, recordHistoriesIfAsked } from '../helpers/history';
import { queryRows, type TestDatabase } from '../helpers/postgres';
import { startHarness, type Harness } from '../helpers/harness';
import { simulatorSpec, TOKEN_ENV } from '../helpers/specs';
import { TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { progressOf } from '../helpers/progress';

const TASK_QUEUE = 'export-test';
const USERS = 5_200;

let harness: Harness;
let env: TestWorkflowEnvironment;
let simulator: LmsSimulator;
let db: TestDatabase;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: USERS, records: 1_234 });
  ({ env, simulator, db } = harness);
});

afterAll(() => harness?.stop());

/**
 * Adds this run's histories to the committed replay fixtures (test/histories), named for the code version that
 * wrote them (`LMS_EXPORT_RECORD_HISTORIES=v6`), so runs started by every earlier version keep replaying.
 */
/** Starts an export of the users with the simulator slowed down, and returns once `pages` pages are persisted. */
async function startSlowUsersExport(name: string, schema: string, pages: number) {
  simulator.latencyMs = 30;
  const spec = simulatorSpec(name, simulator.url, { kind: 'postgres', url: db.url, schema });
  const handle = await startExport(env.client, spec, { taskQueue: TASK_QUEUE });
  const child = env.client.workflow.getHandle(`${handle.workflowId}-users`);
  await waitFor(`${pages} pages`, async () => ((await progressOf(child))?.pages ?? 0) >= pages);
  return { handle, child };
}

function byId(rows: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return [...rows].sort((a, b) => Number(a['id']) - Number(b['id']));
}

describe('durable paged export', () => {
  it('exports 5,200 Canvas users into DuckDB exactly, continuing as new, with no record value in history', async () => {
    const spec = simulatorSpec('duck-users', simulator.url, { kind: 'duckdb', path: `.tmp/test-${process.pid}.duckdb` });
    const requestsBefore = simulator.stats.pageRequests;
    const handle = await startExport(env.client, spec, { taskQueue: TASK_QUEUE });
    const report = await waitForReport(handle);

    const users = report.resources[0];
    assert.equal(report.status, 'completed');
    assert.equal(users?.recordsFetched, USERS);
    assert.equal(users?.pages, USERS / 100);
    assert.equal(users?.inserted, USERS);
    assert.ok((users?.continuedAsNew ?? 0) > 0, 'a 52-page export crosses the lowered continue-as-new threshold');
    const spotChecks = users?.completeness?.findings.spotChecks.length;
    assert.equal(spotChecks, 3);
    assert.equal(users?.completeness?.verdict, 'complete');
    assert.equal(simulator.stats.pageRequests - requestsBefore, USERS / 100 + spotChecks, 'one request per page (and the spot checks): a page fetched ahead survives continue-as-new');

    const sink = await harness.worker.sinks.get({ kind: 'duckdb', path: spec.sink.kind === 'duckdb' ? spec.sink.path : '' });
    const stored = await sink.readRows('users');
    assert.equal(new Set(stored.map((r) => JSON.stringify(r.key))).size, stored.length, 'no duplicate keys');
    assert.deepEqual(byId(stored.map((r) => r.record)), simulator.truth('/api/v1/accounts/1/users'));

    const audit = await sink.readAudit(report.runId, 'users');
    assert.equal(audit.length, USERS / 100);
    assert.equal(cursorDigest(audit[0]?.cursorBefore ?? ''), users?.startCursor, 'the report names the first request by the digest of its audit row');

    const histories = [
      ...(await allRunHistories(env.client, handle.workflowId)),
      ...(await allRunHistories(env.client, users?.workflowId ?? '')),
      ...(await allRunHistories(env.client, `${users?.workflowId}-deletions`)),
    ];
    assert.equal(histories.filter((h) => h.workflowId.endsWith('-deletions')).length, 1, 'the deletion scan ran as its own child workflow');
    assert.ok(histories.length > 2, 'the child ran as several continued runs');
    // A worker killed holding a workflow task is replaced after this timeout: set on the run, its children and
    // every run they continued into.
    for (const { workflowId, history } of histories) {
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      assert.equal(Number(started?.workflowTaskTimeout?.seconds), 5, `${workflowId}: workflow task timeout`);
    }
    const text = histories.map((h) => historyText(h.history)).join('\n');
    assert.ok(text.includes('/accounts/1/users'), 'history payloads are decoded, so absence below means something');
    for (const student of simulator.truth('/api/v1/accounts/1/users').slice(0, 50)) {
      assert.ok(!text.includes(String(student['email'])), `history holds ${student['email']}`);
      assert.ok(!text.includes(String(student['sortable_name'])), `history holds a student name`);
      assert.ok(!text.includes(String(student['sis_user_id'])), `history holds a SIS id`);
    }
    assert.ok(!text.includes(simulator.token), 'history holds the bearer token');

    recordHistoriesIfAsked(histories);
    // The workflow code of today replays the histories it wrote: no non-determinism crept in.
    await assertReplays(await workflowBundle(), histories);
  }, TEST_TIMEOUT_MS);

  it('exports into PostgreSQL exactly, and a second run changes nothing', async () => {
    const spec = simulatorSpec('pg-users', simulator.url, { kind: 'postgres', url: db.url, schema: 'lms' });
    const first = await waitForReport(await startExport(env.client, spec, { taskQueue: TASK_QUEUE }));
    assert.equal(first.resources[0]?.inserted, USERS);

    const rows = await queryRows<{ id: string; _record: Record<string, unknown> }>(db.url, 'SELECT id, _record FROM lms.users');
    assert.equal(rows.length, USERS);
    assert.equal(new Set(rows.map((r) => r.id)).size, USERS);
    assert.deepEqual(byId(rows.map((r) => r._record)), simulator.truth('/api/v1/accounts/1/users'));

    const second = await waitForReport(await startExport(env.client, spec, { taskQueue: TASK_QUEUE }));
    assert.deepEqual(
      { inserted: second.resources[0]?.inserted, updated: second.resources[0]?.updated, unchanged: second.resources[0]?.unchanged },
      { inserted: 0, updated: 0, unchanged: USERS },
    );
  }, TEST_TIMEOUT_MS);

  it('follows a generic JSON cursor until has_more is false', async () => {
    const spec = simulatorSpec('pg-records', simulator.url, { kind: 'postgres', url: db.url }, {
      source: { preset: 'generic', baseUrl: `${simulator.url}/generic/v1`, auth: { bearerTokenEnv: TOKEN_ENV } },
      resources: [
        {
          name: 'records',
          path: '/records',
          primaryKey: ['id'],
          pageSize: 100,
          pagination: { type: 'json-cursor', recordsPath: 'data', nextCursorPath: 'next_cursor', hasMorePath: 'has_more' },
        },
      ],
    });
    const report = await waitForReport(await startExport(env.client, spec, { taskQueue: TASK_QUEUE }));
    assert.equal(report.resources[0]?.pages, 13);
    const rows = await queryRows<{ _record: Record<string, unknown> }>(db.url, 'SELECT _record FROM public.records');
    assert.deepEqual(byId(rows.map((r) => r._record)), simulator.truth('/generic/v1/records'));
  }, TEST_TIMEOUT_MS);

  it('exports several resources in one run: numbered pages with repeated parameters, bookmarks under live inserts', async () => {
    const live = new LmsSimulator({ users: 300, courses: 3, enrollmentsPerCourse: 450, submissionsPerCourse: 380, mutationsPerPage: { inserts: 2 } }); // fewer than a page: every traversal catches up
    await live.start();
    try {
      const spec = simulatorSpec('multi', live.url, { kind: 'postgres', url: db.url, schema: 'multi' }, {
        source: { preset: 'canvas', baseUrl: `${live.url}/api/v1`, auth: { bearerTokenEnv: TOKEN_ENV } },
        resources: [
          { name: 'enrollments', path: '/courses/2/enrollments', primaryKey: ['id'], pageSize: 50 },
          { name: 'submissions', path: '/courses/3/students/submissions', primaryKey: ['id'], pageSize: 40, query: { 'student_ids[]': ['all'], 'include[]': ['user', 'course'] } },
          { name: 'courses', path: '/courses', primaryKey: ['id'], pageSize: 10 },
        ],
        execution: { maxParallelResources: 3, activityTimeoutSeconds: 10, maxAttempts: 5 },
      });
      const report = await waitForReport(await startExport(env.client, spec, { taskQueue: TASK_QUEUE }));
      assert.deepEqual(report.resources.map((r) => [r.resource, r.status]), [['enrollments', 'completed'], ['submissions', 'completed'], ['courses', 'completed']]);
      // Array parameters repeat: the first request as the audit trail keeps it, which the report names by digest.
      const [first] = await queryRows<{ cursor_before: string }>(db.url, `SELECT cursor_before FROM multi._lms_page_audit WHERE run_id = '${report.runId}' AND traversal = 'submissions' AND page_number = 1`);
      assert.match(first?.cursor_before ?? '', /student_ids%5B%5D=all&include%5B%5D=user&include%5B%5D=course/);
      assert.equal(report.resources[1]?.startCursor, cursorDigest(first?.cursor_before ?? ''));

      // Keyset bookmarks see rows inserted behind them at the end of the collection: the export ends equal to truth.
      const enrollments = await queryRows<{ _record: Record<string, unknown> }>(db.url, 'SELECT _record FROM multi.enrollments');
      assert.ok(enrollments.length > 0);
      assert.deepEqual(byId(enrollments.map((r) => r._record)), live.truth('/api/v1/courses/2/enrollments'));
      assert.ok(live.truth('/api/v1/courses/2/enrollments').length > 0);
      // Numbered pages are offsets: rows inserted at the end are reached as well, and nothing is stored twice.
      const submissions = await queryRows<{ id: string }>(db.url, 'SELECT id FROM multi.submissions');
      assert.equal(new Set(submissions.map((r) => r.id)).size, submissions.length);
      assert.deepEqual(
        submissions.map((r) => Number(r.id)).sort((a, b) => a - b),
        live.truth('/api/v1/courses/3/students/submissions').map((r) => r.id),
      );
    } finally {
      await live.stop();
    }
  }, TEST_TIMEOUT_MS);

  it('fails a resource at once on 404 or a rejected token, finishes the others, and reports both', async () => {
    process.env['LMS_EXPORT_WRONG_TOKEN'] = 'not-the-token';
    const rejectedBefore = simulator.stats.unauthorized;
    const spec = simulatorSpec('partly-bad', simulator.url, { kind: 'postgres', url: db.url, schema: 'partly' }, {
      resources: [
        { name: 'users', path: '/accounts/1/users', primaryKey: ['id'], pageSize: 100 },
        { name: 'gone', path: '/courses/1/no-such-collection', primaryKey: ['id'] },
      ],
    });
    const report = await waitForReport(await startExport(env.client, spec, { taskQueue: TASK_QUEUE }));
    assert.equal(report.status, 'failed');
    assert.equal(report.resources[0]?.status, 'completed');
    assert.equal(report.resources[0]?.recordsFetched, USERS);
    assert.equal(report.resources[1]?.status, 'failed');
    assert.match(report.resources[1]?.error ?? '', /404 on GET \/api\/v1\/courses\/1\/no-such-collection/);

    const unauthorized = simulatorSpec('bad-token', simulator.url, { kind: 'postgres', url: db.url, schema: 'bad_token' }, {
      source: { preset: 'canvas', baseUrl: `${simulator.url}/api/v1`, auth: { bearerTokenEnv: 'LMS_EXPORT_WRONG_TOKEN' } },
    });
    const rejected = await waitForReport(await startExport(env.client, unauthorized, { taskQueue: TASK_QUEUE }));
    assert.match(rejected.resources[0]?.error ?? '', /401 on GET \/api\/v1\/accounts\/1\/users\?per_page=100: Invalid access token\. \(check the token in LMS_EXPORT_WRONG_TOKEN\)/);
    assert.equal(simulator.stats.unauthorized - rejectedBefore, 1, 'a rejected token is not retried');
  }, TEST_TIMEOUT_MS);

  it('stops cleanly when the run is cancelled: children cancelled, no request afterwards', async () => {
    try {
      const { handle, child } = await startSlowUsersExport('cancel-users', 'cancelled', 2);
      await handle.cancel();
      await assert.rejects(handle.result(), (error: unknown) => error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure);
      await waitFor('the child to close as cancelled', async () => (await child.describe()).status.name === 'CANCELLED');
      const requestsAtCancel = simulator.stats.pageRequests;
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // an observation window, not a wait for a condition
      assert.equal(simulator.stats.pageRequests, requestsAtCancel, 'no request after cancellation');
      const audit = await queryRows<{ n: string }>(db.url, 'SELECT count(*) AS n FROM cancelled._lms_page_audit');
      const rows = await queryRows<{ n: string }>(db.url, 'SELECT count(*) AS n FROM cancelled.users');
      assert.equal(Number(rows[0]?.n), Number(audit[0]?.n) * 100, 'every audited page is fully stored, nothing half-written');
    } finally {
      simulator.latencyMs = 0;
    }
  }, TEST_TIMEOUT_MS);

  it('cancels a child traversal that has continued as new, as a cancel from the Web UI would', async () => {
    try {
      const { handle, child } = await startSlowUsersExport('cancel-continued', 'cancel_continued', 1);
      const runsOfChild = async (): Promise<number> => {
        let runs = 0;
        for await (const _ of env.client.workflow.list({ query: `WorkflowId = '${child.workflowId}'` })) runs += 1;
        return runs;
      };
      await waitFor('the child to continue as new', async () => (await runsOfChild()) >= 2);
      await handle.cancel();
      await assert.rejects(handle.result(), (error: unknown) => error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure);
      const current = await child.describe();
      assert.equal(current.status.name, 'CANCELLED', 'the run the child continued into was cancelled, not left to finish');
      const report = await progressOf(env.client.workflow.getHandle(child.workflowId));
      assert.ok(report === undefined || report.pages < USERS / 100, 'the child stopped before its last page');
      const histories = [...(await allRunHistories(env.client, handle.workflowId)), ...(await allRunHistories(env.client, child.workflowId))];
      recordHistoriesIfAsked(histories);
      await assertReplays(await workflowBundle(), histories);
    } finally {
      simulator.latencyMs = 0;
    }
  }, TEST_TIMEOUT_MS);

  it('sends no request while paused and finishes exact after resume', async () => {
    try {
      const { handle, child } = await startSlowUsersExport('pause-users', 'paused', 3);
      await handle.signal(pauseSignal);
      await waitFor('the traversal to pause with no request outstanding', async () => {
        const progress = await progressOf(child);
        return progress?.paused === true && !progress.fetching;
      });
      const seenAtPause = simulator.stats.pageRequests;
      const pagesAtPause = (await child.query(progressQuery)).pages;
      await new Promise((resolve) => setTimeout(resolve, 3_000)); // an observation window, not a wait for a condition
      assert.equal(simulator.stats.pageRequests, seenAtPause, 'no page request while paused');
      assert.ok((await child.query(progressQuery)).pages <= pagesAtPause + 1, 'at most the page in flight completes');

      await handle.signal(resumeSignal);
      const report = await waitForReport(handle);
      assert.equal(report.resources[0]?.recordsFetched, USERS);
      const pausedMs = report.resources[0]?.waits.pausedMs ?? 0;
      assert.ok(pausedMs >= 3_000, `the pause is accounted as paused time (${pausedMs} ms)`);
      const rows = await queryRows<{ _record: Record<string, unknown> }>(db.url, 'SELECT _record FROM paused.users');
      assert.deepEqual(byId(rows.map((r) => r._record)), simulator.truth('/api/v1/accounts/1/users'));
    } finally {
      simulator.latencyMs = 0;
    }
  }, TEST_TIMEOUT_MS);

  it('starts paused when the pause comes with the start: no request until resumed, then exact', async () => {
    const spec = simulatorSpec('start-paused', simulator.url, { kind: 'postgres', url: db.url, schema: 'start_paused' });
    const requestsBefore = simulator.stats.pageRequests;
    const handle = await startExport(env.client, spec, { taskQueue: TASK_QUEUE, paused: true });
    const child = env.client.workflow.getHandle(`${handle.workflowId}-users`);
    await waitFor('the run and its traversal to report paused', async () => {
      const run = await handle.query(runProgressQuery).catch(() => undefined);
      const traversal = await progressOf(child);
      return run?.paused === true && traversal?.paused === true;
    });
    assert.equal(simulator.stats.pageRequests, requestsBefore, 'no page request before the resume');
    assert.equal((await child.query(progressQuery)).pages, 0);

    await handle.signal(resumeSignal);
    const report = await waitForReport(handle);
    assert.equal(report.resources[0]?.recordsFetched, USERS);
    const rows = await queryRows<{ _record: Record<string, unknown> }>(db.url, 'SELECT _record FROM start_paused.users');
    assert.deepEqual(byId(rows.map((r) => r._record)), simulator.truth('/api/v1/accounts/1/users'));
    const histories = [...(await allRunHistories(env.client, handle.workflowId)), ...(await allRunHistories(env.client, child.workflowId))];
    recordHistoriesIfAsked(histories);
    await assertReplays(await workflowBundle(), histories);
  }, TEST_TIMEOUT_MS);
});
