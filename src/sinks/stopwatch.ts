/** Milliseconds between laps, to a tenth: the cheap timings a page's summary carries for diagnosis. */
export function stopwatch(): { lap(): number; total(): number } {
  const started = performance.now();
  let last = started;
  const tenths = (ms: number): number => Math.round(ms * 10) / 10;
  return {
    lap() {
      const now = performance.now();
      const ms = now - last;
      last = now;
      return tenths(ms);
    },
    total: () => tenths(performance.now() - started),
  };
}
