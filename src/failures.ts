import { ActivityFailure, ApplicationFailure } from '@temporalio/common';

/**
 * Every failure type the project raises or reads, in one place: activities throw ApplicationFailures of these
 * types, workflows and clients decide by them (never by a message). Whether a type is final — retrying the same
 * request cannot help — is said here too, in `FINAL`. Safe in workflow code: no I/O, no Node built-ins.
 */
export const FailureType = {
  // The source's answers (activities/classify-response.ts).
  /** 401: the token is missing, expired or wrong. */
  Unauthorized: 'Unauthorized',
  /** 403: the token is valid but may not read this collection (a parent closed to us, a scope missing). */
  Forbidden: 'Forbidden',
  /** Both of the above, as runs recorded them before the two were told apart (read, never raised). */
  LegacyAuthRejected: 'AuthRejected',
  /** 404: no such collection (a wrong path, or a parent deleted during the run). */
  NotFound: 'NotFound',
  BadRequest: 'BadRequest',
  /** The server refused the cursor it issued itself: the traversal restarts its pass, the request cannot succeed. */
  CursorExpired: 'CursorExpired',
  ServerError: 'ServerError',
  Throttled: 'Throttled',
  /** A Retry-After or reset beyond `source.maxServerWaitSeconds`. */
  ServerWaitTooLong: 'ServerWaitTooLong',
  NetworkError: 'NetworkError',
  UnreadableBody: 'UnreadableBody',
  /** A request that took far longer than the source's latency and was given up (activities/latency.ts). */
  RequestAbandoned: 'RequestAbandoned',
  PageTooLarge: 'PageTooLarge',
  /** JSON nested deeper than a reader follows: a retry reads the same body. */
  PageTooDeep: 'PageTooDeep',
  PageFormatError: 'PageFormatError',
  /** More records failed validation than `maxInvalidRatio` allows (the valid ones are stored). */
  TooManyInvalidRecords: 'TooManyInvalidRecords',
  /** The server sent a next page already requested in this traversal. */
  PagingLoop: 'PagingLoop',
  /** A next-page link to another origin: the page is kept, the traversal stops after it. */
  ForeignLink: 'ForeignLinkError',
  /** No token where the spec says to find one. */
  AuthMissing: 'AuthMissing',
  // The sink and the worker.
  SinkMisconfigured: 'SinkMisconfigured',
  /** A staged page is gone (its tables were dropped): it is fetched again. */
  StagedPageLost: 'StagedPageLost',
  /** An attempt whose worker died, ended by the worker that took over (worker/reclaim-attempts.ts). */
  WorkerLost: 'WorkerLost',
  NotifyMisconfigured: 'NotifyMisconfigured',
  NotifyRefused: 'NotifyRefused',
  // A run's own outcome.
  InvalidSpec: 'InvalidSpec',
  ExportFailed: 'ExportFailed',
  ExportIncomplete: 'ExportIncomplete',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Types a retry of the same request cannot fix: raised non-retryable (`failure`), so no attempt is spent on them. */
export const FINAL: ReadonlySet<FailureType> = new Set<FailureType>([
  FailureType.Unauthorized,
  FailureType.Forbidden,
  FailureType.LegacyAuthRejected,
  FailureType.NotFound,
  FailureType.BadRequest,
  FailureType.CursorExpired,
  FailureType.ServerWaitTooLong,
  FailureType.PageTooLarge,
  FailureType.PageTooDeep,
  FailureType.PageFormatError,
  FailureType.PagingLoop,
  FailureType.TooManyInvalidRecords,
  FailureType.AuthMissing,
  FailureType.SinkMisconfigured,
  FailureType.NotifyMisconfigured,
  FailureType.InvalidSpec,
  FailureType.ExportFailed,
  FailureType.ExportIncomplete,
]);

export function isFinal(type: string | undefined | null): boolean {
  return type != null && FINAL.has(type as FailureType);
}

/** A failure of one of our types, retryable or final as `FINAL` says. */
export function failure(type: FailureType, message: string, details?: unknown[]): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: isFinal(type), details });
}

/** The innermost ApplicationFailure under activity and child-workflow wrappers: what actually went wrong. */
export function rootFailure(error: unknown): ApplicationFailure | undefined {
  let found: ApplicationFailure | undefined;
  for (let current = error as { cause?: unknown } | null | undefined; current != null; current = current.cause as typeof current) {
    if (current instanceof ApplicationFailure) found = current;
  }
  return found;
}

/** The type an activity failed with, as a workflow sees it: the ApplicationFailure right under the ActivityFailure. */
export function activityFailureType(error: unknown): string | undefined {
  return error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? (error.cause.type ?? undefined) : undefined;
}

/** The message of the innermost cause, whatever its kind. */
export function rootCauseMessage(error: unknown): string {
  let current = error as { message?: string; cause?: unknown } | undefined;
  while (current?.cause != null) current = current.cause;
  return current?.message ?? String(error);
}

/**
 * A parent's collection answered 404 or 403: the parent was deleted or closed to us during the run — recorded
 * as gone, not failed. Runs recorded before 401 and 403 were told apart carry `AuthRejected` for both, with the
 * status at the start of the message.
 */
export function parentGone(error: unknown): boolean {
  const root = rootFailure(error);
  if (root?.type === FailureType.NotFound || root?.type === FailureType.Forbidden) return true;
  return root?.type === FailureType.LegacyAuthRejected && /\b403 on /.test(root.message);
}
