import type { SqlExecutor, SqlRow, SqlValue } from './sql-driver';

/** Keys bound in one `IN (…)` list: well under every driver's limit on bound parameters, and a short statement. */
export const KEYS_PER_STATEMENT = 200;

/**
 * Runs a statement over `keys` a list at a time: `statement` is given the placeholders of one list
 * (`$3, $4, …`, numbered after `leading`, the parameters that come before the keys) and each statement is bound to
 * `leading` and that list's keys. The rows of every statement, in order.
 */
export async function queryByKeys(db: SqlExecutor, keys: string[], statement: (keyList: string) => string, leading: SqlValue[] = []): Promise<SqlRow[]> {
  const rows: SqlRow[] = [];
  for (let start = 0; start < keys.length; start += KEYS_PER_STATEMENT) {
    const chunk = keys.slice(start, start + KEYS_PER_STATEMENT);
    const keyList = chunk.map((_, i) => `$${leading.length + i + 1}`).join(', ');
    rows.push(...(await db.query(statement(keyList), [...leading, ...chunk])));
  }
  return rows;
}
