/** The attempt-log cause under which a page whose body was not valid UTF-8 is counted (see format-report.ts). */
export const INVALID_UTF8_NOTICE = 'InvalidUtf8Repaired';
