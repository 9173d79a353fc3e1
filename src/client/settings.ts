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
