import { z } from 'zod';
import { timestamp } from './field-types';

/** OneRoster 1.1/1.2 rostering objects: every object has sourcedId, status and dateLastModified. */
const base = {
  sourcedId: z.string().min(1),
  status: z.enum(['active', 'tobedeleted']),
  dateLastModified: timestamp,
};
const guidRef = z.looseObject({ sourcedId: z.string().min(1) });

export const onerosterSchemas = {
  'oneroster.users': z.looseObject({
    ...base,
    givenName: z.string(),
    familyName: z.string(),
    username: z.string().optional(),
  }),
  'oneroster.enrollments': z.looseObject({
    ...base,
    role: z.string(),
    user: guidRef,
    class: guidRef,
  }),
  'oneroster.classes': z.looseObject({
    ...base,
    title: z.string(),
    course: guidRef,
    school: guidRef,
  }),
};
