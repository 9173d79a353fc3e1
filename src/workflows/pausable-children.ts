import { CancellationScope, getExternalWorkflowHandle, patched, setHandler, type ChildWorkflowHandle, type Workflow } from '@temporalio/workflow';
import { pauseSignal, resumeSignal } from './definitions';
import type { ResourceReport } from './report';
import { PATCHES } from './patches';

type ReportingChild = ChildWorkflowHandle<Workflow & ((...args: never[]) => Promise<ResourceReport>)>;

/**
 * The children of a workflow that pause and resume with it: registers the pause and resume handlers, forwards
 * each signal to every child in flight, and tells a child started just before a signal arrived. Children
 * started while paused start paused (ask `paused` when starting one).
 *
 * The handlers are registered by `listen()`, not by the constructor: a signal sent with the start (a run
 * started paused) is delivered the moment its handler is set, and `onChange` must be able to run by then.
 */
export class PausableChildren {
  private readonly running = new Set<ReportingChild>();

  constructor(
    public paused: boolean,
    /** Told after each pause or resume (the run republishes what the Web UI shows). */
    private readonly onChange: () => void = () => undefined,
  ) {}

  /** Registers the pause and resume handlers; call it once whatever `onChange` uses is initialised. */
  listen(): this {
    setHandler(pauseSignal, () => this.set(true));
    setHandler(resumeSignal, () => this.set(false));
    return this;
  }

  /** Waits for a child's report; `startedPaused` is what `paused` was when it was started. */
  async follow(handle: ReportingChild, startedPaused: boolean): Promise<ResourceReport> {
    this.running.add(handle);
    CancellationScope.current().cancelRequested.catch(() => this.cancelCurrentRun(handle));
    try {
      if (this.paused !== startedPaused) await handle.signal(this.paused ? pauseSignal : resumeSignal);
      return await handle.result();
    } finally {
      this.running.delete(handle);
    }
  }

  /**
   * The SDK cancels a child by the run it started; a child that has continued as new since never hears that
   * request and runs to its end. Cancelling by workflow id reaches the run that is current.
   */
  private async cancelCurrentRun(handle: ReportingChild): Promise<void> {
    if (!this.running.has(handle) || !patched(PATCHES.cancelChildrenByWorkflowId.id)) return;
    await CancellationScope.nonCancellable(() => getExternalWorkflowHandle(handle.workflowId).cancel()).catch(() => undefined);
  }

  private async set(paused: boolean): Promise<void> {
    this.paused = paused;
    this.onChange();
    const signal = paused ? pauseSignal : resumeSignal;
    await Promise.all([...this.running].map((handle) => handle.signal(signal).catch(() => undefined)));
  }
}
