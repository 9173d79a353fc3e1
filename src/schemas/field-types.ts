import { z } from 'zod';

/** Field types shared by the built-in schemas and by schemas a spec declares. */

/** An ISO 8601 date-time with an offset or `Z`, as LMS APIs write them. */
export const timestamp = z.iso.datetime({ offset: true });

/** A calendar date, `YYYY-MM-DD` (Ed-Fi dates carry no time). */
export const calendarDate = z.iso.date();

export const DECLARED_FIELD_TYPES = ['string', 'integer', 'number', 'boolean', 'object', 'array', 'date', 'date-time'] as const;
export type DeclaredFieldType = (typeof DECLARED_FIELD_TYPES)[number];

export function declaredField(type: DeclaredFieldType): z.ZodType {
  switch (type) {
    case 'string':
      return z.string();
    case 'integer':
      return z.number().int();
    case 'number':
      return z.number();
    case 'boolean':
      return z.boolean();
    case 'object':
      return z.record(z.string(), z.unknown());
    case 'array':
      return z.array(z.unknown());
    case 'date':
      return calendarDate;
    case 'date-time':
      return timestamp;
  }
}
