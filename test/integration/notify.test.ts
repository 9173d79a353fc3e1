import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { startExport, waitForReport } from '../../src/client/exports';
import type { LmsSimulator } from '../../src/simulator/server';
import type { ExportSpecInput } from '../../src/spec/export-spec';
import { startHarness, type Harness } from '../helpers/harness';
import { withSimulator } from '../helpers/simulator';
import { TOKEN_ENV } from '../helpers/specs';
import { allRunHistories, assertReplays, recordHistoriesIfAsked } from '../helpers/history';
import { TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const TASK_QUEUE = 'notify-test';
const WEBHOOK_ENV = 'LMS_EXPORT_TEST_WEBHOOK';

let harness: Harness;
let receiver: Server;
const received: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  harness = await startHarness(TASK_QUEUE, { users: 300 });
  // The webhook's receiver: a local HTTP server that keeps what it is sent, and refuses the first call (a retry delivers it).
  let calls = 0;
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      calls += 1;
      if (calls === 1) return void res.writeHead(503).end();
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  process.env[WEBHOOK_ENV] = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/lms`;
  process.env['TEMPORAL_UI_URL'] = 'http://ui.example:8233';
});

afterAll(async () => {
  await harness?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
  delete process.env['TEMPORAL_UI_URL'];
});

function edfiSpec(name: string, simulator: LmsSimulator): ExportSpecInput {
  return {
    name,
    source: { preset: 'edfi', baseUrl: `${simulator.url}/data/v3`, auth: { bearerTokenEnv: TOKEN_ENV } },
    resources: [{ name: 'students', path: '/ed-fi/students', primaryKey: ['id'], pageSize: 500 }],
    sink: { kind: 'postgres', url: harness.db.url, schema: `notify_${name}` },
    execution: { maxAttempts: 3 },
    notify: { webhookUrlEnv: WEBHOOK_ENV },
  };
}

describe('alerts', () => {
  it('calls the webhook once for an incomplete run, with counts and the Web UI link; not for a complete one', async () => {
    await withSimulator({ users: 2_000, dropPageAfterPages: 3 }, async (dropping) => {
      const report = await waitForReport(await startExport(harness.env.client, edfiSpec('alerted', dropping), { taskQueue: TASK_QUEUE }));
      assert.equal(report.status, 'incomplete');
      const alert = await waitFor('the webhook call', () => received[0]);
      assert.deepEqual(
        { ...alert, resources: undefined },
        {
          spec: 'alerted',
          workflowId: report.workflowId,
          runId: report.runId,
          status: 'incomplete',
          reasons: ['incomplete'],
          counts: { records: 1_500, quarantined: 0, failedResources: 0, incompleteResources: 1 },
          resources: undefined,
          webUi: `http://ui.example:8233/namespaces/default/workflows/${report.workflowId}/${report.runId}/history`,
        },
      );
      assert.match(JSON.stringify(alert['resources']), /"verdict":"incomplete: 500 of 2000 announced rows missing/);
      // A run that delivered an alert replays on today's code.
      const histories = await allRunHistories(harness.env.client, report.workflowId);
      recordHistoriesIfAsked(histories);
      await assertReplays(await workflowBundle(), histories);
    });

    const clean = await waitForReport(await startExport(harness.env.client, edfiSpec('quiet', harness.simulator), { taskQueue: TASK_QUEUE }));
    assert.equal(clean.status, 'completed');
    assert.equal(received.length, 1, 'a complete run calls nobody');
  }, TEST_TIMEOUT_MS);
});
