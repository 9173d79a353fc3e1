import { parseJson, stringifyJson } from '../pagination/record-json';
import type { StoredRecord } from '../sinks/sink';

/**
 * What `dump` and `export-file` write for each stored row: the record as the API served it, plus the row's
 * `_first_run`, `_last_run` and `_deleted_at` (ISO time, or null while the row is live). A record field of one
 * of those names keeps its value under `<name>_2` (as in the typed view), so nothing the API sent is hidden.
 */
export const RUN_FIELDS = ['_first_run', '_last_run', '_deleted_at'] as const;

export function consumerRecord(record: Record<string, unknown>, row: Pick<StoredRecord, 'firstRun' | 'lastRun' | 'deletedAt'>): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>; // a field named __proto__ stays a field
  for (const [field, value] of Object.entries(record)) {
    let name = field;
    for (let n = 2; (RUN_FIELDS as readonly string[]).includes(name) || name in out; n += 1) name = `${field}_${n}`;
    out[name] = value;
  }
  return { ...out, _first_run: row.firstRun, _last_run: row.lastRun, _deleted_at: row.deletedAt };
}

export function consumerLine(row: StoredRecord): string {
  return stringifyJson(consumerRecord(parseJson(row.recordJson) as Record<string, unknown>, row));
}
