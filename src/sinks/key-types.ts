import type { JsonType } from '../integrity/fingerprint';
import { once } from './once';
import type { KeyTypes } from './page-rows';
import type { SqlDriver, SqlExecutor } from './sql-driver';

const KEY_TYPES = '_lms_key_types';

/**
 * Per resource table and key field, the JSON type of the first key stored. Key columns and `_key` hold key
 * values as text, where `"1"` and `1` are the same; this table is what tells them apart, so a record whose key
 * has another type is quarantined instead of overwriting another record's row. A table older than this
 * ledger learns its types from the first page stored after the upgrade.
 */
export class KeyTypeLedger {
  constructor(private readonly db: SqlDriver) {}

  readonly ensureTable = once(async (): Promise<void> => {
    await this.db.transaction((tx) =>
      tx.query(`CREATE TABLE IF NOT EXISTS ${this.db.table(KEY_TYPES)} (resource_table VARCHAR NOT NULL, field VARCHAR NOT NULL,
        json_type VARCHAR NOT NULL, PRIMARY KEY (resource_table, field))`),
    );
  });

  async read(tx: SqlExecutor, table: string): Promise<KeyTypes> {
    const rows = await tx.query(`SELECT field, json_type FROM ${this.db.table(KEY_TYPES)} WHERE resource_table = $1`, [table]);
    return Object.fromEntries(rows.map((r) => [String(r['field']), String(r['json_type']) as JsonType]));
  }

  /** Records the types `learned` holds that `known` lacked (the first one written wins). */
  async learn(tx: SqlExecutor, table: string, known: KeyTypes, learned: KeyTypes): Promise<void> {
    for (const [field, type] of Object.entries(learned)) {
      if (Object.hasOwn(known, field)) continue;
      await tx.query(
        `INSERT INTO ${this.db.table(KEY_TYPES)} (resource_table, field, json_type) VALUES ($1, $2, $3) ON CONFLICT (resource_table, field) DO NOTHING`,
        [table, field, type],
      );
    }
  }
}
