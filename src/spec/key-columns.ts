/**
 * Each primary-key field becomes a column of the resource's table (src/sinks/sql-sink.ts, quoted), beside the
 * system columns `_key`, `_record`, `_hash`, … A key field cannot be named like those: the field pattern wants a
 * letter first. What can still collide is two key fields: DuckDB compares column names without case even when
 * quoted (`id` and `ID` are one column), and PostgreSQL cuts names at 63 bytes. Either way the sink would fail
 * at its first page with "column already exists"; the spec is refused before that instead.
 */

/** PostgreSQL's identifier length (NAMEDATALEN - 1): longer names are cut to it. */
const POSTGRES_NAME_BYTES = 63;

/** The name both sinks resolve a column to, for comparing (key fields are ASCII: one byte per character). */
function columnIdentity(field: string): string {
  return field.toLowerCase().slice(0, POSTGRES_NAME_BYTES);
}

/** For each key field that would land in a column an earlier one already takes: its index and why. */
export function keyColumnCollisions(primaryKey: readonly string[]): Array<{ index: number; message: string }> {
  const taken = new Map<string, string>();
  const collisions: Array<{ index: number; message: string }> = [];
  primaryKey.forEach((field, index) => {
    const identity = columnIdentity(field);
    const earlier = taken.get(identity);
    if (earlier === undefined) {
      taken.set(identity, field);
      return;
    }
    const why =
      earlier === field
        ? `"${field}" is listed twice`
        : earlier.toLowerCase() === field.toLowerCase()
          ? `"${field}" and "${earlier}" differ only in case, and DuckDB column names ignore case`
          : `"${field}" and "${earlier}" share their first ${POSTGRES_NAME_BYTES} characters, where PostgreSQL cuts column names`;
    collisions.push({ index, message: `${why}: each key field becomes a column of the table, so they would be one column; list each field once` });
  });
  return collisions;
}
