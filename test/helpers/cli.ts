import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const LMS_EXPORT = join(__dirname, '..', '..', 'bin', 'lms-export.js');

/** Our own CLI as a separate process, pointed at a test server (and a task queue, where the test has its own). */
export function lmsExport(args: string[], server: { address: string; taskQueue?: string; env?: Record<string, string> }): Promise<{ stdout: string; stderr: string }> {
  const taskQueue = server.taskQueue === undefined ? {} : { LMS_EXPORT_TASK_QUEUE: server.taskQueue };
  return promisify(execFile)(process.execPath, [LMS_EXPORT, ...args], { env: { ...process.env, TEMPORAL_ADDRESS: server.address, ...taskQueue, ...server.env } });
}
