/** The message of the innermost cause: what actually went wrong, under the activity and child-workflow wrappers. */
export function rootCauseMessage(error: unknown): string {
  let current = error as { message?: string; cause?: unknown } | undefined;
  while (current?.cause !== undefined && current.cause !== null) current = current.cause;
  return current?.message ?? String(error);
}
