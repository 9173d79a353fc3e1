import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { formatResourceLine, paceOf } from '../../src/cli/format-progress';
import { liveResources, type LiveResource } from '../../src/cli/live-progress';
import type { RunProgress } from '../../src/workflows/definitions';
import type { FanOutMemo, TraversalMemo } from '../../src/workflows/progress-memo';
import { NO_WAITS } from '../../src/workflows/waits';

const T0 = Date.parse('2026-05-01T10:00:00Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

function run(resources: RunProgress['resources']): RunProgress {
  return { spec: 'school', phase: 'traversal', paused: false, startedAt: at(0), resources };
}

function traversal(resource: string, figures: Partial<TraversalMemo>): TraversalMemo {
  return {
    kind: 'traversal', resource, role: 'main', pass: 'main', pages: 0, records: 0, secondPass: null, expected: null, paused: false,
    circuitOpenUntil: null, lastError: null, waits: NO_WAITS, startedAt: at(0), continuedAsNew: 0, reportedAt: at(10), ...figures,
  };
}

describe('one line per resource, from the run and the memos of its running workflows', () => {
  it('draws a bar over the API total, with pages, records/s as of the figures, and the time left', () => {
    const [users] = liveResources(run([{ resource: 'users', workflowId: 'export-school-users', status: 'running' }]), [traversal('users', { pages: 10, records: 1_000, expected: 4_000 })]);
    assert.deepEqual(users?.progress, { done: 1_000, total: 4_000, unit: 'records' });
    // 1000 records in the 10 s before the figures: 100/s, 30 s left then, 28 s left 2 s later.
    assert.equal(formatResourceLine(users as LiveResource, T0 + 12_000), 'users: traversal, 1000/4000 records (25%), 10 pages, 100 records/s, ETA 28 s');
  });

  it('counts without a total, and says why a traversal waits: paused, circuit open, the last error', () => {
    const memo = traversal('users', { pages: 3, records: 300, paused: true, circuitOpenUntil: at(60), lastError: '503 on GET /users' });
    const [users] = liveResources(run([{ resource: 'users', workflowId: 'w', status: 'running' }]), [memo]);
    assert.equal(users?.progress, null);
    assert.equal(formatResourceLine(users as LiveResource, T0 + 10_000), `users: traversal, 300 records, 3 pages, 30 records/s, paused by an operator (lms-export resume), paused: circuit open until ${at(60)}, last error: 503 on GET /users`);
  });

  it('takes the total the run asked before the traversal when pages carry none (Ed-Fi key set)', () => {
    const [students] = liveResources(run([{ resource: 'students', workflowId: 'w', status: 'running', expected: 500 }]), [traversal('students', { records: 100 })]);
    assert.deepEqual(students?.progress, { done: 100, total: 500, unit: 'records' });
  });

  it('shows the second pass of a positional source by its own figures', () => {
    const [users] = liveResources(run([{ resource: 'users', workflowId: 'w', status: 'running' }]), [traversal('users', { pass: 'reconcile', records: 900, secondPass: { pages: 2, records: 200 } })]);
    assert.equal(users?.phase, 'second pass');
    assert.deepEqual([users?.pages, users?.records], [2, 200]);
  });

  it('draws a fan-out over its parents, the running parents\' records included', () => {
    const fan: FanOutMemo = { kind: 'fan-out', resource: 'enrollments', parentsDone: 3, parentsTotal: 8, inFlight: 2, gone: 1, failed: 0, pages: 6, records: 600, paused: false, startedAt: at(0), reportedAt: at(10) };
    const scope = traversal('enrollments', { role: 'scope', pages: 1, records: 50 });
    const [enrollments] = liveResources(run([{ resource: 'enrollments', workflowId: 'w', status: 'running' }]), [fan, scope, traversal('other', { records: 7 })]);
    assert.deepEqual([enrollments?.progress, enrollments?.records, enrollments?.pages], [{ done: 3, total: 8, unit: 'parents' }, 650, 7]);
    assert.match(formatResourceLine(enrollments as LiveResource, T0 + 10_000), /^enrollments: traversal, 3\/8 parents \(37%\), 650 records, 7 pages, 65 records\/s, ETA 17 s, 2 in flight, 1 gone, 0 failed$/);
  });

  it('sums a partitioned resource over its finished and running partitions', () => {
    const r = run([{ resource: 'events', workflowId: 'w', status: 'running', partitions: { done: 2, total: 4, records: 2_000 } }]);
    const [events] = liveResources(r, [traversal('events', { role: 'partition', records: 300 }), traversal('events', { role: 'partition', records: 200 })]);
    assert.deepEqual([events?.progress, events?.records], [{ done: 2, total: 4, unit: 'partitions' }, 2_500]);
  });

  it('follows the phases after the traversal: the update scan by its memo, the rest by status', () => {
    const r = run([
      { resource: 'users', workflowId: 'w1', status: 'scanning-updates' },
      { resource: 'courses', workflowId: 'w2', status: 'checking', records: 40 },
      { resource: 'terms', workflowId: 'w3', status: 'completed', records: 4, verdict: 'complete' },
    ]);
    const lines = liveResources(r, [traversal('users', { role: 'updates', records: 12, pages: 1 })]).map((l) => formatResourceLine(l, T0 + 10_000));
    assert.deepEqual(lines, ['users: update scan, 12 records, 1 pages, 1 records/s', 'courses: checks, 40 records', 'terms: completed, 4 records, verdict complete']);
  });

  it('has no pace before any time has passed', () => {
    const [users] = liveResources(run([{ resource: 'users', workflowId: 'w', status: 'running' }]), [traversal('users', { reportedAt: at(0) })]);
    assert.deepEqual(paceOf(users as LiveResource, T0), { recordsPerSecond: null, etaSeconds: null });
  });
});
