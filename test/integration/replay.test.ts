import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from '@jest/globals';
import { assertReplays, historyFromFixture } from '../helpers/history';
import { TEST_TIMEOUT_MS, workflowBundle } from '../helpers/temporal';

const dir = join(__dirname, '..', 'histories');

/**
 * Histories recorded from real runs by each version of the code (add the current one's with
 * LMS_EXPORT_RECORD_HISTORIES=v<n> on the export test) must replay on today's workflow code: a change that would
 * break running exports, including ones continued-as-new across an upgrade, fails here, not in production.
 */
it('replays the recorded export histories on the current workflow code', async () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  if (files.length === 0) throw new Error(`no recorded histories in ${dir}`);
  await assertReplays(
    await workflowBundle(),
    files.map((file) => historyFromFixture(readFileSync(join(dir, file), 'utf8'))),
  );
}, TEST_TIMEOUT_MS);
