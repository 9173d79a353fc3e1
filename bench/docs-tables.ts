/**
 * The figure tables of docs/benchmarks.md, written from the bench results between marker comments
 * (`<!-- bench:overhead -->` … `<!-- /bench:overhead -->`); everything outside the markers (what was tried,
 * what each lever gave) is written by hand and left as it is.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult, Cell, Ratio, Table } from './bench-result';

export const BENCHMARKS_DOC = join(__dirname, '..', 'docs', 'benchmarks.md');

const startMarker = (bench: string): string => `<!-- bench:${bench} -->`;
const endMarker = (bench: string): string => `<!-- /bench:${bench} -->`;

function formatCell(value: Cell, digits = 0): string {
  if (value === null) return '';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : String(value);
  // Markdown drops leading spaces (indented steps) and takes a bare | for a column break.
  return value.replace(/\|/g, '\\|').replace(/^ +/, (spaces) => '&nbsp;'.repeat(spaces.length));
}

export function markdownTable(table: Table): string {
  const numeric = table.columns.map((c) => c.numeric === true || table.rows.some((row) => typeof row[c.key] === 'number'));
  const lines = [
    `| ${table.columns.map((c) => formatCell(c.label)).join(' | ')} |`,
    `| ${numeric.map((isNumber) => (isNumber ? '---:' : '---')).join(' | ')} |`,
    ...table.rows.map((row) => `| ${table.columns.map((c) => formatCell(row[c.key] ?? null, c.digits)).join(' | ')} |`),
  ];
  return lines.join('\n');
}

/** Ratios with two decimals; rates and counts (100 and over) as whole numbers. */
const ratioValue = (value: number | null): string | null => (value === null ? null : formatCell(value, Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : 2));

function ratioTable(ratios: Ratio[]): string {
  return markdownTable({
    columns: [
      { key: 'name', label: 'figure' },
      { key: 'value', label: 'value', numeric: true },
      { key: 'target', label: 'target' },
      { key: 'met', label: 'met' },
    ],
    rows: ratios.map((r) => ({ name: r.name, value: ratioValue(r.value), target: r.target === null ? 'none set' : `${r.target.op} ${r.target.value.toLocaleString('en-US')}`, met: r.met })),
  });
}

const loadAverage = (values: number[]): string => values.map((n) => n.toFixed(2)).join(' ');

/** What goes between a bench's markers: when and how it ran, its tables, and its chart. */
export function resultBlock(result: BenchResult): string {
  const settings = Object.entries(result.settings)
    .filter(([, value]) => value !== null && value !== '')
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(', ');
  const ran = result.startedAt.replace('T', ' ').slice(0, 16);
  const parts = [
    `<!-- written by \`npm run bench:all\` from bench/results/${result.bench}.json: edit outside the markers -->`,
    `Run ${ran} UTC with \`${result.command}\` (${settings}) on ${result.machine.cores} cores, load average ` +
      `${loadAverage(result.machine.loadAverageAtStart)} at start and ${loadAverage(result.machine.loadAverageAtEnd)} at the end (1, 5, 15 min). ${result.setup}.`,
    markdownTable(result.scenarios),
  ];
  if (result.ratios.length > 0) parts.push(ratioTable(result.ratios));
  for (const table of result.details) parts.push(...(table.title === undefined ? [] : [`${table.title}:`]), markdownTable(table));
  parts.push(`![${result.chart.title}](benchmarks/${result.bench}.png)`);
  return parts.join('\n\n');
}

/**
 * The document with the text between `bench`'s markers replaced by `block`; a document without them gets a
 * section with them at its end. Fails on markers that appear more than once or out of order.
 */
export function replaceBlock(doc: string, bench: string, block: string): string {
  const [start, end] = [startMarker(bench), endMarker(bench)];
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from === -1 && to === -1) return `${doc.replace(/\n*$/, '')}\n\n## ${bench}\n\n${start}\n${block}\n${end}\n`;
  if (from === -1 || to === -1 || to < from) throw new Error(`docs: marker ${from === -1 ? start : end} is missing or comes after ${from === -1 ? end : start}; each bench's block needs both, in order`);
  if (doc.indexOf(start, from + 1) !== -1 || doc.indexOf(end, to + 1) !== -1) throw new Error(`docs: ${start} or ${end} appears more than once; a bench has one block`);
  return `${doc.slice(0, from + start.length)}\n${block}\n${doc.slice(to)}`;
}

/** Rewrites each result's block in the document at `path` (docs/benchmarks.md). */
export function updateBenchmarksDoc(results: BenchResult[], path = BENCHMARKS_DOC): void {
  let doc = readFileSync(path, 'utf8');
  for (const result of results) doc = replaceBlock(doc, result.bench, resultBlock(result));
  writeFileSync(path, doc);
}
