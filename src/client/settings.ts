/** Where Temporal is and which queue our workers poll; from the environment, with local defaults. */
export const TASK_QUEUE = 'lms-export';

export function temporalAddress(env: NodeJS.ProcessEnv = process.env): string {
  return env['TEMPORAL_ADDRESS'] ?? 'localhost:7233';
}

export function temporalNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env['TEMPORAL_NAMESPACE'] ?? 'default';
}

export function taskQueue(env: NodeJS.ProcessEnv = process.env): string {
  return env['LMS_EXPORT_TASK_QUEUE'] ?? TASK_QUEUE;
}

/** How hard this deployment may hit its sources: every worker is started with the same numbers. */
export interface RequestBudget {
  /** Page requests per second across all workers together (enforced by the Temporal server); none if unset. */
  requestsPerSecond?: number;
  /** Page requests one worker runs at once. */
  concurrentRequests: number;
}

export function requestBudget(env: NodeJS.ProcessEnv = process.env): RequestBudget {
  const perSecond = env['LMS_EXPORT_REQUESTS_PER_SECOND'];
  const concurrent = env['LMS_EXPORT_CONCURRENT_REQUESTS'];
  const budget: RequestBudget = { concurrentRequests: concurrent ? Number(concurrent) : 8 };
  if (perSecond) budget.requestsPerSecond = Number(perSecond);
  if (!(budget.concurrentRequests >= 1) || (budget.requestsPerSecond !== undefined && !(budget.requestsPerSecond > 0))) {
    throw new Error('LMS_EXPORT_REQUESTS_PER_SECOND must be a positive number and LMS_EXPORT_CONCURRENT_REQUESTS a whole number ≥ 1');
  }
  return budget;
}
