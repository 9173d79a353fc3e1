import { z } from 'zod';
import { calendarDate } from './field-types';

/** Ed-Fi ODS/API (Data Standard 4/5) resources: natural keys and references required, extensions pass through. */
const studentReference = z.looseObject({ studentUniqueId: z.string().min(1) });

export const edfiSchemas = {
  'edfi.students': z.looseObject({
    id: z.string().min(1),
    studentUniqueId: z.string().min(1),
    firstName: z.string(),
    lastSurname: z.string(),
    birthDate: calendarDate,
  }),
  'edfi.studentSchoolAssociations': z.looseObject({
    id: z.string().min(1),
    studentReference,
    schoolReference: z.looseObject({ schoolId: z.number().int() }),
    entryDate: calendarDate,
    entryGradeLevelDescriptor: z.string(),
  }),
  'edfi.studentSectionAttendanceEvents': z.looseObject({
    id: z.string().min(1),
    studentReference,
    sectionReference: z.looseObject({
      localCourseCode: z.string(),
      schoolId: z.number().int(),
      schoolYear: z.number().int(),
      sectionIdentifier: z.string(),
      sessionName: z.string(),
    }),
    eventDate: calendarDate,
    attendanceEventCategoryDescriptor: z.string(),
  }),
};
