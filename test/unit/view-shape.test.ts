import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { consumerRecord } from '../../src/cli/consumer-record';
import { lockHolderOf, SinkBusyError } from '../../src/sinks/sink-busy';
import { mergeShapes, shapeOfRecords, viewColumns } from '../../src/sinks/view-shape';

describe('the typed view of a resource', () => {
  it('types top-level fields from the records: whole numbers, fractions, booleans, text, nested JSON', () => {
    const shape = shapeOfRecords([
      { id: 1, score: 2, ok: true, name: 'a', school: { id: 9 }, tags: ['x'], gone: null },
      { id: 2, score: 2.5, ok: false, name: 'b', big: 1e21 },
    ]);
    assert.deepEqual(shape, { big: 'decimal', id: 'bigint', name: 'text', ok: 'boolean', school: 'json', score: 'double', tags: 'json' });
  });

  it('makes a field of mixed types text, and widens a shape with a later page', () => {
    assert.deepEqual(shapeOfRecords([{ code: 7 }, { code: 'A7' }]), { code: 'text' });
    assert.deepEqual(mergeShapes({ id: 'bigint', n: 'bigint' }, { n: 'double', extra: 'boolean' }), { extra: 'boolean', id: 'bigint', n: 'double' });
  });

  it('renames a field that would collide with a system column or, ignoring case, with another field', () => {
    const columns = viewColumns({ _key: 'text', _deleted_at: 'text', Name: 'text', name: 'text', id: 'bigint' });
    assert.deepEqual(
      Object.fromEntries(columns.map((c) => [c.field, c.column])),
      { Name: 'Name_2', _deleted_at: '_deleted_at_2', _key: '_key_2', id: 'id', name: 'name' },
    );
  });

  it('cuts long names to 63 bytes and keeps two long names that share a prefix apart', () => {
    const long = 'x'.repeat(70);
    const columns = viewColumns({ [`${long}a`]: 'text', [`${long}b`]: 'text' });
    assert.deepEqual(columns.map((c) => c.column), ['x'.repeat(63), `${'x'.repeat(61)}_2`]);
  });
});

describe('what dump and export-file write for a row', () => {
  it('adds the run columns, and keeps a record field of the same name under <name>_2', () => {
    const row = { firstRun: 'r1', lastRun: 'r2', deletedAt: '2025-01-01T00:00:00.000Z' };
    assert.deepEqual(consumerRecord({ id: 1, _last_run: 'api' }, row), { id: 1, _last_run_2: 'api', _first_run: 'r1', _last_run: 'r2', _deleted_at: '2025-01-01T00:00:00.000Z' });
  });
});

describe('a DuckDB file another process holds', () => {
  it('names the holding process and what to do', () => {
    const duckdb = new Error('IO Error: Could not set lock on file "/d/demo.duckdb": Conflicting lock is held in /usr/bin/node (PID 1234). See also https://duckdb.org/docs/stable/connect/concurrency');
    const holder = lockHolderOf(duckdb);
    assert.deepEqual(holder, { pid: 1234 });
    assert.equal(
      new SinkBusyError('./data/demo.duckdb', holder?.pid ?? null).message,
      'sink ./data/demo.duckdb is in use by process 1234 (a running worker?): stop it or wait for it to go idle, then retry',
    );
    assert.equal(lockHolderOf(new Error('Catalog Error: Table with name users does not exist!')), undefined);
  });
});
