import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { KEYS_PER_STATEMENT, queryByKeys } from '../../src/sinks/key-lists';
import type { SqlRow, SqlValue } from '../../src/sinks/sql-driver';

/** An executor that answers each statement with one row per bound key, and records what it was sent. */
function recordingExecutor(): { sent: Array<{ sql: string; params: SqlValue[] }>; query: (sql: string, params?: SqlValue[]) => Promise<SqlRow[]> } {
  const sent: Array<{ sql: string; params: SqlValue[] }> = [];
  return {
    sent,
    query: async (sql, params = []) => {
      sent.push({ sql, params });
      return params.filter((p) => typeof p === 'string' && p.startsWith('k')).map((k) => ({ k }));
    },
  };
}

describe('statements over a list of keys', () => {
  it('binds the keys a list at a time, numbered after the leading parameters, and returns every row in order', async () => {
    const db = recordingExecutor();
    const keys = Array.from({ length: 2 * KEYS_PER_STATEMENT + 50 }, (_, i) => `k${i}`);
    const rows = await queryByKeys(db, keys, (keyList) => `SELECT k WHERE run = $1 AND t = $2 AND k IN (${keyList})`, ['run-1', 'users']);
    assert.equal(db.sent.length, 3);
    assert.deepEqual(db.sent.map((s) => s.params.length), [KEYS_PER_STATEMENT + 2, KEYS_PER_STATEMENT + 2, 52]);
    assert.ok(db.sent[0]?.sql.endsWith(`k IN (${Array.from({ length: KEYS_PER_STATEMENT }, (_, i) => `$${i + 3}`).join(', ')})`));
    assert.deepEqual(db.sent[2]?.params.slice(0, 3), ['run-1', 'users', `k${2 * KEYS_PER_STATEMENT}`]);
    assert.deepEqual(rows.map((r) => r['k']), keys);
  });

  it('sends nothing for no keys', async () => {
    const db = recordingExecutor();
    assert.deepEqual(await queryByKeys(db, [], (keyList) => `SELECT k WHERE k IN (${keyList})`), []);
    assert.equal(db.sent.length, 0);
  });
});
