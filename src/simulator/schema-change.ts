import { mapRecords } from './malformed';

/**
 * A source upgraded mid-run, as vendors do without notice: records gain a field (`pronouns`) and one field
 * changes type (`updated_at` from an ISO string to epoch milliseconds). The stored data is untouched.
 */
export function changeShape(body: unknown): unknown {
  return mapRecords(body, (record) => {
    const updatedAt = record['updated_at'];
    return { ...record, pronouns: 'they/them', updated_at: typeof updatedAt === 'string' ? Date.parse(updatedAt) : updatedAt };
  });
}
