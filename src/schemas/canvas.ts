import { z } from 'zod';
import { timestamp } from './field-types';

/**
 * Canvas LMS REST objects, as the API documents them: the fields a warehouse joins and reports on are required,
 * everything else passes through untouched (Canvas adds fields between releases).
 */
export const canvasSchemas = {
  'canvas.users': z.looseObject({
    id: z.number().int(),
    name: z.string(),
    sortable_name: z.string().optional(),
    sis_user_id: z.string().nullable().optional(),
    login_id: z.string().nullable().optional(),
    email: z.string().nullable().optional(),
    created_at: timestamp.nullable().optional(),
  }),
  'canvas.courses': z.looseObject({
    id: z.number().int(),
    name: z.string(),
    course_code: z.string().optional(),
    sis_course_id: z.string().nullable().optional(),
    workflow_state: z.string().optional(),
  }),
  'canvas.enrollments': z.looseObject({
    id: z.number().int(),
    course_id: z.number().int(),
    user_id: z.number().int(),
    type: z.string(),
    enrollment_state: z.string(),
  }),
  'canvas.submissions': z.looseObject({
    id: z.number().int(),
    assignment_id: z.number().int(),
    user_id: z.number().int(),
    score: z.number().nullable().optional(),
    workflow_state: z.string(),
  }),
};
