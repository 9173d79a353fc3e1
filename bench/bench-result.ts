import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

/**
 * A bench's figures in machine-readable form, written beside its printed output to bench/results/<bench>.json:
 * the scenario rows, the ratios against their targets, what the machine was doing, and how to chart them.
 * bench/charts.ts draws the chart and bench/docs-tables.ts writes the tables of docs/benchmarks.md from it.
 */

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

export interface Column {
  key: string;
  label: string;
  /** Decimals shown for a number (0 unless given). */
  digits?: number;
  /** Right-aligned in the docs table even when its cells are text (figures already formatted). */
  numeric?: boolean;
}

export interface Table {
  title?: string;
  columns: Column[];
  rows: Row[];
}

export interface Target {
  op: '≤' | '≥';
  value: number;
}

export interface Ratio {
  name: string;
  value: number | null;
  /** null where the project has set no target for it. */
  target: Target | null;
  met: boolean | null;
}

/**
 * One panel of a result's chart: a bar per row (`x`) and per figure of `y` (several figures are grouped side by
 * side and coloured by figure; a single one may be coloured by the column `color`), one small chart per value of
 * `facet`. Keys are column keys of the scenario table.
 */
export interface ChartPanel {
  title: string;
  /** The y axis's title, with its unit: "rec/s", "seconds". */
  unit: string;
  x: string;
  y: string[];
  color?: string;
  facet?: string;
}

export interface BenchResult {
  bench: string;
  /** How it is run: "npm run bench". */
  command: string;
  /** What was measured, in one line (dataset, latency, sink). */
  setup: string;
  /** The knobs it ran with (environment variables and constants). */
  settings: Record<string, Cell>;
  scenarios: Table;
  ratios: Ratio[];
  /** Further tables (where a page's time went, say). */
  details: Table[];
  chart: { title: string; panels: ChartPanel[] };
  machine: { cores: number; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  startedAt: string;
  finishedAt: string;
}

// Taken when a bench imports this module, which is before it starts any work: the load it started under.
const started = { at: new Date().toISOString(), loadAverage: loadavg() };

export const RESULTS_DIR = join(__dirname, 'results');

export function targetRatio(name: string, value: number | null | undefined, target: Target | null = null): Ratio {
  const known = value === undefined || value === null || !Number.isFinite(value) ? null : value;
  const met = known === null || target === null ? null : target.op === '≤' ? known <= target.value : known >= target.value;
  return { name, value: known, target, met };
}

/** Writes bench/results/<bench>.json (or into `dir`) and returns its path; the machine and the times are added here. */
export function writeBenchResult(figures: Omit<BenchResult, 'machine' | 'startedAt' | 'finishedAt'>, dir = RESULTS_DIR): string {
  const result: BenchResult = {
    ...figures,
    machine: { cores: cpus().length, loadAverageAtStart: started.loadAverage, loadAverageAtEnd: loadavg() },
    startedAt: started.at,
    finishedAt: new Date().toISOString(),
  };
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${figures.bench}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nresult: ${path}`);
  return path;
}
