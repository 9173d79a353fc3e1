import type { ResourceTable } from './sink';
import { once } from './once';
import type { SqlDriver, SqlExecutor } from './sql-driver';

const HIGH_WATER = '_lms_high_water';

export interface HighWaterMark {
  resource: string;
  cursorField: string;
  /** The greatest value of the cursor field among the stored rows, as text (ISO times compare as text). */
  value: string;
  runId: string;
}

/**
 * Where an incremental resource's next run starts: the greatest cursor-field value stored, saved after each
 * sound run. Kept in the sink beside the rows, so it is exactly as current as they are.
 */
export class HighWaterMarks {
  constructor(
    private readonly db: SqlDriver,
    private readonly ensureTable: (table: ResourceTable) => Promise<void>,
  ) {}

  private readonly ensureTables = once(async (): Promise<void> => {
    await this.db.transaction((tx) =>
      tx.query(`CREATE TABLE IF NOT EXISTS ${this.db.table(HIGH_WATER)} (resource VARCHAR PRIMARY KEY, cursor_field VARCHAR NOT NULL,
        value VARCHAR NOT NULL, run_id VARCHAR NOT NULL, saved_at TIMESTAMP NOT NULL)`),
    );
  });

  async read(resource: string, cursorField: string): Promise<HighWaterMark | undefined> {
    await this.ensureTables();
    const rows = await this.db.query(`SELECT value, run_id FROM ${this.db.table(HIGH_WATER)} WHERE resource = $1 AND cursor_field = $2`, [resource, cursorField]);
    const row = rows[0];
    return row === undefined ? undefined : { resource, cursorField, value: String(row['value']), runId: String(row['run_id']) };
  }

  /** The resource's stored mark whatever its cursor field, with when it was saved: what `lms-export state` shows. */
  async stored(resource: string): Promise<(HighWaterMark & { savedAt: string }) | undefined> {
    await this.ensureTables();
    const rows = await this.db.query(`SELECT cursor_field, value, run_id, saved_at FROM ${this.db.table(HIGH_WATER)} WHERE resource = $1`, [resource]);
    const row = rows[0];
    if (row === undefined) return undefined;
    return { resource, cursorField: String(row['cursor_field']), value: String(row['value']), runId: String(row['run_id']), savedAt: new Date(String(row['saved_at'])).toISOString() };
  }

  /** Forgets the resource's mark inside the caller's transaction (call `stored` first: it creates the table). */
  async clear(tx: SqlExecutor, resource: string): Promise<void> {
    await tx.query(`DELETE FROM ${this.db.table(HIGH_WATER)} WHERE resource = $1`, [resource]);
  }

  /** Saves the greatest stored value of the cursor field; none is saved while no stored row has one. */
  async save(runId: string, table: ResourceTable, cursorField: string): Promise<HighWaterMark | undefined> {
    await this.ensureTables();
    await this.ensureTable(table);
    const max = await this.db.query(`SELECT max(${this.db.jsonText('_record', cursorField)}) AS value FROM ${this.db.table(table.name)} WHERE _deleted_at IS NULL`);
    const value = max[0]?.['value'];
    if (value === null || value === undefined) return undefined;
    await this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM ${this.db.table(HIGH_WATER)} WHERE resource = $1`, [table.name]);
      await tx.query(`INSERT INTO ${this.db.table(HIGH_WATER)} (resource, cursor_field, value, run_id, saved_at) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)`, [
        table.name,
        cursorField,
        String(value),
        runId,
      ]);
    });
    return { resource: table.name, cursorField, value: String(value), runId };
  }
}
