import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(__dirname, '..', 'bin', 'lms-export.js');

/** `lms-export worker` as its own OS process (as test/helpers/worker-process.ts spawns it), so it can be SIGKILLed. */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly spawnedAt = Date.now();
  /** When it printed that it polls the main task queue, and a source's request queue (ms since the epoch). */
  pollingAt: number | undefined;
  requestQueueAt: number | undefined;
  private printed = '';

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [CLI, 'worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.printed += chunk.toString();
      if (this.pollingAt === undefined && this.printed.includes('polling task queue')) this.pollingAt = Date.now();
      if (this.requestQueueAt === undefined && this.printed.includes('polling request queue')) this.requestQueueAt = Date.now();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[worker ${this.child.pid}] ${chunk.toString()}`));
  }

  /** Resolves once the worker polls its task queue; fails if it exits first or takes longer than `timeoutMs`. */
  async polling(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pollingAt === undefined) {
      if (this.child.exitCode !== null) throw new Error(`worker ${this.child.pid} exited (${this.child.exitCode}) before polling:\n${this.printed}`);
      if (Date.now() > deadline) throw new Error(`worker ${this.child.pid} not polling after ${timeoutMs} ms:\n${this.printed}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  exited(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => this.child.once('exit', () => resolve()));
  }
}
