/**
 * One PNG chart per bench result: bench/results/<bench>.json → docs/benchmarks/<bench>.png. The result says what
 * to chart (its `chart` panels); this draws each panel as grouped bars with Vega-Lite, renders the SVG with Vega
 * (no canvas needed) and rasterises it with resvg.
 *
 *   npx tsx bench/charts.ts            (every result in bench/results)
 *   npx tsx bench/charts.ts overhead   (only the benches named)
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Field } from 'vega-lite/build/src/channeldef';
import type { NonNormalizedSpec } from 'vega-lite/build/src/spec';
import type { LayerSpec } from 'vega-lite/build/src/spec/layer';
import { RESULTS_DIR, type BenchResult, type ChartPanel, type Column } from './bench-result';

export const CHARTS_DIR = join(__dirname, '..', 'docs', 'benchmarks');
/** Pixels per SVG unit in the PNG: twice the SVG's size, sharp on high-density screens. */
export const PIXEL_RATIO = 2;
/** A panel's plot: its width, a bar's thickness and the gap between scenarios (SVG units). */
const PLOT_WIDTH = 360;
const BAR_THICKNESS = 18;
const BAR_GAP = 10;
const MIN_PLOT_HEIGHT = 60;
const FONT = 'DejaVu Sans';
/** White space kept around the drawn content when the PNG is cropped to it (SVG units). */
const MARGIN = 12;

interface Datum {
  x: string;
  figure: string;
  value: number;
  label: string;
  color?: string;
  facet?: string;
}

function columnOf(result: BenchResult, key: string): Column {
  const column = result.scenarios.columns.find((c) => c.key === key);
  if (column === undefined) throw new Error(`${result.bench}: chart names column "${key}", which the scenario table lacks (columns: ${result.scenarios.columns.map((c) => c.key).join(', ')})`);
  return column;
}

/** The panel's bars: one per scenario row and figure, each with its value printed as the table prints it. */
function panelData(result: BenchResult, panel: ChartPanel): Datum[] {
  const figures = panel.y.map((key) => columnOf(result, key));
  return result.scenarios.rows.flatMap((row) =>
    figures.flatMap((figure): Datum[] => {
      const value = row[figure.key];
      if (typeof value !== 'number' || !Number.isFinite(value)) return [];
      const digits = figure.digits ?? 0;
      return [
        {
          x: String(row[panel.x]),
          figure: figure.label,
          value,
          label: value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }),
          ...(panel.color === undefined ? {} : { color: String(row[panel.color]) }),
          ...(panel.facet === undefined ? {} : { facet: String(row[panel.facet]) }),
        },
      ];
    }),
  );
}

/**
 * Horizontal bars: scenario names are long ("ours (c) 10 kills, heartbeat 2 s"), and read best on the left, level,
 * with each bar's figure printed at its end.
 */
function panelSpec(result: BenchResult, panel: ChartPanel): NonNormalizedSpec {
  const values = panelData(result, panel);
  const grouped = panel.y.length > 1;
  const categories = new Set(values.filter((d) => d.facet === values[0]?.facet).map((d) => d.x)).size;
  const legend = { orient: 'bottom', direction: 'vertical' } as const;
  const color = grouped
    ? ({ field: 'figure', type: 'nominal', sort: null, title: null, legend } as const)
    : panel.color !== undefined
      ? // Coloured by the bar's own name, a legend would repeat the axis.
        ({ field: 'color', type: 'nominal', sort: null, title: null, legend: panel.color === panel.x ? null : legend } as const)
      : ({ value: '#4c78a8' } as const);
  const layered: LayerSpec<Field> = {
    width: PLOT_WIDTH,
    height: Math.max(MIN_PLOT_HEIGHT, categories * (panel.y.length * BAR_THICKNESS + BAR_GAP)),
    encoding: {
      y: { field: 'x', type: 'nominal', sort: null, title: null, axis: { labelLimit: 340 } },
      ...(grouped ? { yOffset: { field: 'figure', type: 'nominal', sort: null } } : {}),
      x: { field: 'value', type: 'quantitative', title: panel.unit, axis: { format: ',~f', tickCount: 6 } },
    },
    layer: [
      { mark: { type: 'bar' }, encoding: { color } },
      { mark: { type: 'text', align: 'left', dx: 3, fontSize: 10, color: '#333' }, encoding: { text: { field: 'label', type: 'nominal' } } },
    ],
  };
  if (panel.facet === undefined) return { title: panel.title, data: { values }, ...layered };
  return { title: panel.title, data: { values }, facet: { column: { field: 'facet', type: 'nominal', sort: [...new Set(values.map((d) => d.facet ?? ''))], title: null } }, spec: layered, resolve: { scale: { x: 'shared' } } };
}

/** The Vega-Lite spec of a result's chart: its panels side by side under the chart's title. */
export function chartSpec(result: BenchResult): TopLevelSpec {
  if (result.chart.panels.length === 0) throw new Error(`${result.bench}: chart.panels is empty; a result needs at least one panel to chart`);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: result.chart.title, subtitle: `${result.startedAt.slice(0, 10)}, ${result.machine.cores} cores, load average ${result.machine.loadAverageAtStart.map((n) => n.toFixed(2)).join(' ')} at start; one run` },
    // No background rect: the PNG is cropped to what is drawn, and resvg paints the white behind it.
    background: 'transparent',
    padding: MARGIN,
    hconcat: result.chart.panels.map((panel) => panelSpec(result, panel)),
    config: { font: FONT, view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, labelLimit: 320 } },
  };
}

interface TextItem {
  text?: unknown;
  fontSize?: number;
  fontWeight?: string | number;
}

/**
 * Text widths for Vega's layout. Without a canvas Vega guesses 0.8 em a character, which leaves wide margins and
 * cuts axis labels short; DejaVu Sans, the font the PNG is drawn in, averages about 0.6 em (0.68 in bold).
 */
function textWidth(item: TextItem, text?: unknown): number {
  const value = String(text ?? item.text ?? '').trim();
  const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600;
  return value.length * (item.fontSize ?? 11) * (bold ? 0.68 : 0.6);
}

export async function chartSvg(result: BenchResult): Promise<string> {
  (vega as unknown as { textMetrics: { width: typeof textWidth } }).textMetrics.width = textWidth;
  const view = new vega.View(vega.parse(compile(chartSpec(result)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface Png {
  data: Buffer;
  width: number;
  height: number;
}

export async function renderChart(result: BenchResult): Promise<Png> {
  const svg = await chartSvg(result);
  const resvg = new Resvg(svg, { fitTo: { mode: 'zoom', value: PIXEL_RATIO }, background: 'white', font: { loadSystemFonts: true, defaultFontFamily: FONT, sansSerifFamily: FONT } });
  // Vega sizes the view from its estimated text widths; the drawn content, measured with the real font, sets the PNG's.
  const drawn = resvg.getBBox();
  if (drawn !== undefined) {
    Object.assign(drawn, { x: drawn.x - MARGIN, y: drawn.y - MARGIN, width: drawn.width + 2 * MARGIN, height: drawn.height + 2 * MARGIN });
    resvg.cropByBBox(drawn);
  }
  const rendered = resvg.render();
  return { data: rendered.asPng(), width: rendered.width, height: rendered.height };
}

export function readResult(path: string): BenchResult {
  const result = JSON.parse(readFileSync(path, 'utf8')) as BenchResult;
  if (typeof result.bench !== 'string' || result.scenarios === undefined || result.chart === undefined) throw new Error(`${path}: not a bench result (expected bench, scenarios and chart)`);
  return result;
}

/** Every result in `dir` (bench/results), by bench name; `only` picks some. */
export function readResults(dir = RESULTS_DIR, only?: string[]): BenchResult[] {
  const files = readdirSync(dir, { withFileTypes: true }).filter((f) => f.isFile() && f.name.endsWith('.json'));
  return files.map((f) => readResult(join(dir, f.name))).filter((r) => only === undefined || only.length === 0 || only.includes(r.bench));
}

/** Writes <bench>.png for each result into `dir` (docs/benchmarks); returns the paths written. */
export async function writeCharts(results: BenchResult[], dir = CHARTS_DIR): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const result of results) {
    const png = await renderChart(result);
    const path = join(dir, `${result.bench}.png`);
    writeFileSync(path, png.data);
    written.push(path);
  }
  return written;
}

if (require.main === module) {
  writeCharts(readResults(RESULTS_DIR, process.argv.slice(2))).then(
    (paths) => paths.forEach((path) => console.log(`chart: ${path}`)),
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
