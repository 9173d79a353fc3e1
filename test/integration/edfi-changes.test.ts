import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { isDeepStrictEqual } from 'node:util';
import { startExport, waitForReport } from '../../src/client/exports';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import type { RunReport } from '../../src/workflows/report';
import { queryRows } from '../helpers/postgres';
import { startHarness, type Harness } from '../helpers/harness';
import { TOKEN_ENV } from '../helpers/specs';
import { allRunHistories, assertReplays, recordHistoriesIfAsked } from '../helpers/history';
import { TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';

const TASK_QUEUE = 'edfi-changes-test';
const STUDENTS = '/data/v3/ed-fi/students';
/**
 * Students on the first page (ids 1–500), changed at the sixth request (after availableChangeVersions, the
 * version document, the total, the first token and the first page): behind the cursor by then.
 */
const CHANGED = [10, 20, 30];

let harness: Harness;
let runs = 0;

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 3_000, mutationPlan: [{ atRequest: 6, collection: 'users', update: CHANGED }] });
});

afterAll(async () => {
  await harness?.stop();
});

function spec(): ExportSpecInput {
  return {
    name: 'edfi-changes',
    source: { preset: 'edfi', baseUrl: `${harness.simulator.url}/data/v3`, auth: { bearerTokenEnv: TOKEN_ENV } },
    resources: [{ name: 'students', path: '/ed-fi/students', primaryKey: ['id'], pageSize: 500, updateScan: { changeVersions: true } }],
    sink: { kind: 'postgres', url: harness.db.url, schema: 'edfi_changes' },
  };
}

async function run(): Promise<RunReport> {
  runs += 1;
  return waitForReport(await startExport(harness.env.client, spec(), { taskQueue: TASK_QUEUE, workflowId: `edfi-changes-${runs}` }));
}

async function storedEqualsTruth(): Promise<boolean> {
  const stored = await queryRows<{ _record: Record<string, unknown> }>(harness.db.url, 'SELECT _record FROM edfi_changes.students WHERE _deleted_at IS NULL ORDER BY id::int');
  const truth = harness.simulator.truth(STUDENTS);
  return stored.length === truth.length && stored.every((row, i) => isDeepStrictEqual(row._record, { ...truth[i] }));
}

describe('Ed-Fi change queries', () => {
  it('scans updates from the change version at run start, and takes deletions from /deletes', async () => {
    const newestAtStart = harness.simulator.data.newestChangeVersion;
    const first = await run();
    const students = first.resources[0];
    assert.equal(first.status, 'completed');
    assert.equal(students?.updateScan?.since, `minChangeVersion=${newestAtStart}`);
    assert.equal(students?.updateScan?.updated, CHANGED.length, 'the rows changed behind the cursor, and only they');
    assert.ok(await storedEqualsTruth(), 'current after the update scan');

    // Students withdraw: the ODS records a tombstone for each, with its change version.
    const withdrawn = harness.simulator.data.list('users').filter((r) => r.id % 113 === 0).map((r) => r.id);
    for (const id of withdrawn) harness.simulator.data.delete('users', id);
    const second = await run();
    const scan = second.resources[0]?.deletionScan;
    assert.equal(scan?.outcome, 'flagged');
    assert.match(scan?.detail ?? '', new RegExp(`^${withdrawn.length} deletions published by the source \\(/deletes, up to change version \\d+\\); ${withdrawn.length} of them were stored and are flagged$`));
    const flagged = await queryRows<{ record_key: string; change_version: string }>(
      harness.db.url,
      "SELECT record_key, change_version FROM edfi_changes._lms_deletions WHERE status = 'flagged' ORDER BY change_version",
    );
    const tombstones = harness.simulator.data.tombstonesOf('users');
    assert.deepEqual(
      flagged.map((f) => [Number((JSON.parse(f.record_key) as string[])[0]), Number(f.change_version)]),
      tombstones.map((t) => [t.row.id, t.changeVersion]),
    );

    // Change-version runs, their update scan and their published-deletions scan replay on today's code.
    const histories = [
      ...(await allRunHistories(harness.env.client, first.workflowId)),
      ...(await allRunHistories(harness.env.client, `${students?.workflowId}-updates`)),
      ...(await allRunHistories(harness.env.client, `${second.resources[0]?.workflowId}-deletions`)),
    ];
    assert.equal(histories.length, 3);
    recordHistoriesIfAsked(histories);
    await assertReplays(await workflowBundle(), histories);

    // The next scan reads only tombstones newer than the last one read.
    const third = await run();
    assert.match(third.resources[0]?.deletionScan?.detail ?? '', /^0 deletions published by the source/);
  }, TEST_TIMEOUT_MS);
});
