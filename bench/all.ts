/**
 * Every bench in turn, each as its own process (so one bench's memory and worker threads do not colour the next
 * one's figures), with this process's environment passed through (BENCH_SCALE_ROWS, BENCH_USERS, BENCH_PG, …).
 * Then, from the results the benches wrote (bench/results/<bench>.json), the charts (docs/benchmarks/<bench>.png)
 * and the figure tables of docs/benchmarks.md between their markers. A bench that fails is reported and keeps its
 * previous result, chart and tables; the others still run, and the exit code is 1.
 *
 *   npm run bench:all                       (all of them; several minutes, most of it the scale bench)
 *   npm run bench:all -- overhead sink      (only those named)
 *   BENCH_SCALE_ROWS=100000 npm run bench:all
 *   npm run bench:all -- --from-results     (no bench run: charts and tables again from bench/results)
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { RESULTS_DIR } from './bench-result';
import { readResult, writeCharts } from './charts';
import { BENCHMARKS_DOC, updateBenchmarksDoc } from './docs-tables';

/** In the order run: the short ones first, the scale bench (the longest, and the one that measures memory) last. */
export const BENCHES = ['sink', 'overhead', 'throttle', 'fan-out', 'recovery', 'scale'] as const;

interface Ran {
  bench: string;
  seconds: number;
  failure?: string;
}

function runBench(bench: string): Promise<Ran> {
  const started = Date.now();
  const script = join(__dirname, `${bench}.ts`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit', env: process.env, cwd: join(__dirname, '..') });
    const done = (failure?: string): void => resolve({ bench, seconds: (Date.now() - started) / 1000, ...(failure === undefined ? {} : { failure }) });
    child.once('error', (error) => done(`could not start: ${error.message}`));
    child.once('exit', (code, signal) => {
      if (code !== 0) return done(signal === null ? `exited with code ${code}` : `ended by ${signal}`);
      // A bench that exits 0 without writing its result has failed all the same: there is nothing to chart.
      const written = statSafe(join(RESULTS_DIR, `${bench}.json`));
      done(written !== undefined && written >= started - 1_000 ? undefined : `exited 0 but wrote no bench/results/${bench}.json`);
    });
  });
}

function statSafe(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Charts and doc tables of the results in bench/results for `benches` (those that ran, or were asked for). */
async function publish(benches: string[]): Promise<void> {
  const results = benches.map((bench) => readResult(join(RESULTS_DIR, `${bench}.json`)));
  for (const path of await writeCharts(results)) console.log(`chart: ${path}`);
  updateBenchmarksDoc(results);
  console.log(`tables: ${BENCHMARKS_DOC} (${results.map((r) => r.bench).join(', ') || 'none'})`);
}

async function main(): Promise<void> {
  const fromResults = process.argv.includes('--from-results');
  const asked = process.argv.slice(2).filter((arg) => arg !== '--from-results');
  const unknown = asked.filter((name) => !(BENCHES as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`bench:all: unknown bench ${unknown.join(', ')}; the benches are ${BENCHES.join(', ')}`);
  const benches = asked.length > 0 ? BENCHES.filter((b) => asked.includes(b)) : [...BENCHES];
  if (fromResults) return publish(benches.filter((bench) => statSafe(join(RESULTS_DIR, `${bench}.json`)) !== undefined));
  console.log(`bench:all: ${benches.join(', ')}; load average ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  const runs: Ran[] = [];
  for (const bench of benches) {
    console.log(`\n=== ${bench} ===`);
    const ran = await runBench(bench);
    if (ran.failure !== undefined) console.error(`bench:all: ${bench} failed (${ran.failure}); its previous figures stay`);
    runs.push(ran);
  }
  await publish(runs.filter((r) => r.failure === undefined).map((r) => r.bench));
  console.log('\nbench      | seconds | result');
  for (const r of runs) console.log(`${r.bench.padEnd(10)} | ${r.seconds.toFixed(0).padStart(7)} | ${r.failure === undefined ? 'ok' : `FAILED: ${r.failure}`}`);
  if (runs.some((r) => r.failure !== undefined)) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
