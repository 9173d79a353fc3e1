import { ActivityFailure, ApplicationFailure, condition, patched } from '@temporalio/workflow';
import { sinkDown } from './sink-down';
import { PATCHES } from './patches';

/** What the breaker remembers; part of the traversal state, so it survives continue-as-new. */
export interface CircuitState {
  /** When the cool-down ends (ISO time), or null while the circuit is closed. */
  openUntil: string | null;
  openings: number;
  /** Time spent cooling down so far (absent in state carried from before it was kept). */
  openMs?: number;
}

export interface CircuitSettings {
  coolDownSeconds: number;
  maxOpenings: number;
}

/** A failure that another try may fix: retries ran out, or an attempt timed out. Non-retryable ones are final. */
function transient(error: unknown): boolean {
  return error instanceof ActivityFailure && !(error.cause instanceof ApplicationFailure && error.cause.nonRetryable);
}

/**
 * When a page keeps failing (its activity ran out of attempts on retryable errors), the source is likely down:
 * the circuit opens, the traversal waits out a cool-down on a durable timer instead of hammering the source,
 * then probes once. An operator's `resume` closes the circuit at once. After `maxOpenings` the failure stands.
 */
export class CircuitBreaker {
  constructor(
    private readonly state: CircuitState,
    private readonly settings: CircuitSettings,
    /**
     * Told the failure each time the page is tried again: the sink was down, or the source kept failing and the
     * circuit opens (so progress shows why a run waits, not just that it does).
     */
    private readonly onFailure: (message: string) => void = () => undefined,
  ) {}

  get openUntil(): string | null {
    return this.state.openUntil;
  }

  /** The operator's override: stop cooling down and try now. */
  close(): void {
    this.state.openUntil = null;
  }

  async run<T>(attempt: () => Promise<T>, probe: () => Promise<T>): Promise<T> {
    let next = attempt;
    for (;;) {
      try {
        const result = await next();
        this.state.openUntil = null;
        return result;
      } catch (error) {
        // The activity's own retries already waited between attempts; the circuit stays closed and counts nothing.
        if (sinkDown(error) && patched(PATCHES.sinkDownNotASourceFailure.id)) {
          this.onFailure(error.cause?.message ?? error.message);
          continue;
        }
        if (!transient(error) || this.state.openings >= this.settings.maxOpenings) throw error;
        if (error instanceof ActivityFailure) this.onFailure(error.cause?.message ?? error.message);
        this.state.openings += 1;
        const coolDownMs = this.settings.coolDownSeconds * 1000;
        this.state.openUntil = new Date(Date.now() + coolDownMs).toISOString();
        const openedAt = Date.now();
        await condition(() => this.state.openUntil === null, coolDownMs);
        this.state.openMs = (this.state.openMs ?? 0) + (Date.now() - openedAt);
        this.state.openUntil = null;
        next = probe;
      }
    }
  }
}
