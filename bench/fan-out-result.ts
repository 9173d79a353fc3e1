import { targetRatio, writeBenchResult, type Cell } from './bench-result';

/** One approach's figures as bench/fan-out.ts measures them. */
interface ApproachOutcome {
  seconds: number;
  throttled: number;
  requests: number;
  exact: boolean;
}

/**
 * bench/results/fan-out.json from bench/fan-out.ts's figures: the approaches in the order run (the community
 * recipe first, then lms-export's fan-out), its setup line and knobs. Kept apart so the bench itself only calls it.
 */
export function writeFanOutResult(setup: string, settings: Record<string, Cell>, results: Array<[string, ApproachOutcome]>): void {
  const [recipe, fanOut] = results.map(([, o]) => o);
  writeBenchResult({
    bench: 'fan-out',
    command: 'npm run bench:fan-out',
    setup,
    settings,
    scenarios: {
      columns: [
        { key: 'approach', label: 'approach' },
        { key: 'seconds', label: 'seconds', digits: 1 },
        { key: 'requests', label: 'requests' },
        { key: 'throttled', label: 'throttled answers' },
        { key: 'exact', label: 'exact' },
      ],
      rows: results.map(([approach, o]) => ({ approach, seconds: o.seconds, requests: o.requests, throttled: o.throttled, exact: o.exact })),
    },
    ratios: recipe && fanOut ? [targetRatio('time lms-export / recipe (< 1: the fan-out is faster)', fanOut.seconds / recipe.seconds), targetRatio('throttled answers, lms-export', fanOut.throttled, { op: '≤', value: 0 })] : [],
    details: [],
    chart: { title: `Fan-out: ${String(settings['BENCH_COURSES'] ?? '')} courses → enrollments against the Canvas bucket`, panels: [{ title: 'wall time', unit: 'seconds', x: 'approach', y: ['seconds'], color: 'approach' }] },
  });
}
