import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from '@jest/globals';
import { DuckDbDriver } from '../../src/sinks/duckdb';
import { waitFor } from '../helpers/wait';

/** How long a statement beside an open transaction may take before the test calls it queued behind it. */
const BESIDE_DEADLINE_MS = 10_000;

let driver: DuckDbDriver | undefined;

afterEach(async () => {
  await driver?.close();
  driver = undefined;
});

async function openDriver(options: { idleReleaseMs?: number } = {}): Promise<DuckDbDriver> {
  const path = join(mkdtempSync(join(tmpdir(), 'lms-duckdb-beside-')), 'sink.duckdb');
  driver = await DuckDbDriver.open(path, options);
  await driver.query('CREATE TABLE staged (ref VARCHAR PRIMARY KEY, records VARCHAR)');
  await driver.query(`INSERT INTO staged VALUES ('page-1', '[1]')`);
  return driver;
}

/** A transaction that takes page 1 out of staging and holds its connection until released. */
function heldTransaction(db: DuckDbDriver): { started: () => boolean; release: () => void; done: Promise<void> } {
  let started = false;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const done = db.transaction(async (tx) => {
    await tx.query(`DELETE FROM staged WHERE ref = 'page-1'`);
    started = true;
    await released;
  });
  return { started: () => started, release, done };
}

describe('DuckDB statements beside an open transaction', () => {
  it("stage the next page and read committed rows while another caller's transaction is open", async () => {
    const db = await openDriver();
    const held = heldTransaction(db);
    await waitFor('the transaction to hold the connection', held.started);

    let besideDone = false;
    const beside = (async () => {
      await db.queryBeside(`INSERT INTO staged VALUES ('page-2', '[2]') ON CONFLICT (ref) DO UPDATE SET records = excluded.records`);
      // The open transaction's delete is not committed yet: page 1 is still there for everyone else.
      const rows = await db.queryBeside('SELECT ref FROM staged ORDER BY ref');
      besideDone = true;
      return rows.map((row) => row['ref']);
    })();
    // Released only once the statements beside it finished (or after the deadline, for the assertion to fail).
    await waitFor('the statements beside the transaction', () => besideDone, BESIDE_DEADLINE_MS).catch(() => undefined);
    const finishedWhileHeld = besideDone;
    held.release();
    await held.done;

    assert.ok(finishedWhileHeld, 'the statements beside did not wait for the transaction to end');
    assert.deepEqual(await beside, ['page-1', 'page-2']);
    assert.deepEqual((await db.query('SELECT ref FROM staged ORDER BY ref')).map((row) => row['ref']), ['page-2']);
  });

  it('are pending work: an idle sink lets go of its file only after them, and opens it again for the next', async () => {
    const db = await openDriver({ idleReleaseMs: 50 });
    await waitFor('the idle sink to let go of its file', () => !db.holdsFile);
    // Not open: the statement goes the main queue's way, which opens the file.
    await db.queryBeside(`INSERT INTO staged VALUES ('page-2', '[2]')`);
    assert.ok(db.holdsFile);
    await db.queryBeside(`INSERT INTO staged VALUES ('page-3', '[3]')`);
    await waitFor('the idle sink to let go of its file again', () => !db.holdsFile);
    assert.deepEqual((await db.queryBeside('SELECT count(*)::INTEGER AS n FROM staged'))[0], { n: 3 });
  });
});
