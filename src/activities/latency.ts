/**
 * Request timeouts that follow the source. Each worker keeps, per origin, the recent latencies of its answered
 * requests (time to headers, and time to read the body); a request's header and body timeouts are a multiple of
 * the high percentile of those, never under a floor and never over `source.requestTimeoutMs`. A source that
 * answers in 20 ms has a hung request abandoned in seconds, a slow source keeps generous timeouts, and a page
 * that is slow for a reason of its own gets twice the time at each retry, up to the ceiling. The estimate lives in
 * the worker's memory (like the pacer), never in workflow history; a new worker starts at the ceiling.
 */

/** Answers kept per origin, the newest. */
const WINDOW = 50;
/** Fewer answers than this say too little: the ceiling applies. */
export const MIN_SAMPLES = 5;
const PERCENTILE = 0.95;

export interface LatencySettings {
  /** Timeout = this × the 95th percentile of recent latencies (`source.latencyTimeouts.multiple`). */
  multiple: number;
  /** Never shorter (`source.latencyTimeouts.floorMs`). */
  floorMs: number;
}

export const DEFAULT_LATENCY_SETTINGS: LatencySettings = { multiple: 10, floorMs: 2_000 };

export interface RequestTimeouts {
  /** From sending the request to the answer's headers. */
  headersMs: number;
  /** The longest pause while the body arrives. */
  bodyMs: number;
  /** How they were set, for the message when one passes. */
  rule: string;
}

/** The `share` quantile of some numbers (nearest rank). */
export function percentile(values: number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))] ?? 0;
}

export class LatencyEstimate {
  private readonly samples = new Map<string, Array<{ headersMs: number; bodyMs: number }>>();

  /** An answered request's latencies (only successful answers: a fast 429 says nothing of how long pages take). */
  observe(origin: string, headersMs: number, bodyMs: number): void {
    const recent = this.samples.get(origin) ?? [];
    recent.push({ headersMs, bodyMs });
    if (recent.length > WINDOW) recent.shift();
    this.samples.set(origin, recent);
  }

  /** The timeouts of the `attempt`-th try at a request to `origin`, under a ceiling of `ceilingMs`. */
  timeouts(origin: string, ceilingMs: number, settings: LatencySettings | false, attempt: number): RequestTimeouts {
    const recent = this.samples.get(origin) ?? [];
    if (settings === false || recent.length < MIN_SAMPLES) {
      const why = settings === false ? 'source.latencyTimeouts is off' : `fewer than ${MIN_SAMPLES} answers from this source yet`;
      return { headersMs: ceilingMs, bodyMs: ceilingMs, rule: `source.requestTimeoutMs: ${why}` };
    }
    const widen = 2 ** Math.max(0, attempt - 1);
    const derive = (p95: number): number => Math.min(ceilingMs, Math.max(settings.floorMs, Math.ceil(settings.multiple * p95 * widen)));
    const headersP95 = percentile(recent.map((s) => s.headersMs), PERCENTILE);
    const bodyP95 = percentile(recent.map((s) => s.bodyMs), PERCENTILE);
    const widened = widen > 1 ? `, × ${widen} at attempt ${attempt}` : '';
    return {
      headersMs: derive(headersP95),
      bodyMs: derive(bodyP95),
      rule: `${settings.multiple} × this source's p95 of ${Math.round(headersP95)} ms to headers${widened}, at least ${settings.floorMs} ms, at most source.requestTimeoutMs (source.latencyTimeouts)`,
    };
  }
}

/** The estimate every request of this worker process shares. */
export const latency = new LatencyEstimate();
