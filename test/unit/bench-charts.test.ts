import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from '@jest/globals';
import { BENCHES } from '../../bench/all';
import { targetRatio, writeBenchResult, type BenchResult, type Row } from '../../bench/bench-result';
import { PIXEL_RATIO, readResult, renderChart, writeCharts } from '../../bench/charts';
import { BENCHMARKS_DOC, replaceBlock, resultBlock, updateBenchmarksDoc } from '../../bench/docs-tables';

const dir = mkdtempSync(join(tmpdir(), 'bench-charts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** An overhead-shaped result with one scenario row per latency, written and read back as the benches do. */
function sampleResult(latencies: number[], name = 'overhead'): BenchResult {
  const rows: Row[] = latencies.map((ms, i) => ({ latency: `${ms} ms`, plainPerSecond: 1_278 - i * 100, durablePerSecond: 673 - i * 10, ratio: (673 - i * 10) / (1_278 - i * 100) }));
  const path = writeBenchResult(
    {
      bench: name,
      command: 'npm run bench',
      setup: '5000 Canvas users, 100 per page, DuckDB sink',
      settings: { BENCH_USERS: 5_000, BENCH_WORKER_OPTIONS: null },
      scenarios: {
        columns: [
          { key: 'latency', label: 'latency' },
          { key: 'plainPerSecond', label: 'plain loop rec/s' },
          { key: 'durablePerSecond', label: 'ours (durable) rec/s' },
          { key: 'ratio', label: 'durable / plain', digits: 2 },
        ],
        rows,
      },
      ratios: [targetRatio('durable / plain at 0 ms', rows[0]?.['ratio'] as number, { op: '≥', value: 0.8 })],
      details: [{ title: 'per page (ms)', columns: [{ key: 'step', label: 'step' }, { key: 'plain0', label: 'plain, 0 ms', digits: 1 }], rows: [{ step: 'wall time per page', plain0: 77 }, { step: '  staging', plain0: 9.66 }] }],
      chart: { title: 'Per-page overhead', panels: [{ title: 'records per second', unit: 'rec/s', x: 'latency', y: ['plainPerSecond', 'durablePerSecond'] }] },
    },
    dir,
  );
  return readResult(path);
}

function pngSize(png: Buffer): { width: number; height: number } {
  // The IHDR chunk comes first: length (4), "IHDR" (4), then width and height as big-endian 32-bit integers.
  assert.equal(png.subarray(12, 16).toString('ascii'), 'IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('bench charts', () => {
  it('renders a result as a PNG whose header gives the size the renderer drew', async () => {
    const png = await renderChart(sampleResult([0, 50]));
    assert.deepEqual(png.data.subarray(0, 8), PNG_SIGNATURE);
    assert.deepEqual(pngSize(png.data), { width: png.width, height: png.height });
    // Two panels' worth of bars, title and legend at twice the SVG's size: hundreds of pixels each way, not a stub.
    assert.ok(png.width >= 400 * PIXEL_RATIO && png.width <= 1_200 * PIXEL_RATIO, `width ${png.width}`);
    assert.ok(png.height >= 150 * PIXEL_RATIO && png.height <= 800 * PIXEL_RATIO, `height ${png.height}`);
  });

  it('draws a bar per scenario row: more rows make a taller chart', async () => {
    const two = await renderChart(sampleResult([0, 50]));
    const five = await renderChart(sampleResult([0, 25, 50, 75, 100]));
    assert.ok(five.height > two.height, `5 rows ${five.height} px, 2 rows ${two.height} px`);
  });

  it('writes <bench>.png for each result', async () => {
    const [path] = await writeCharts([sampleResult([0], 'sample-bench')], join(dir, 'charts'));
    assert.equal(path, join(dir, 'charts', 'sample-bench.png'));
    assert.deepEqual(readFileSync(path).subarray(0, 8), PNG_SIGNATURE);
  });

  it('refuses a chart that names a column the scenario table lacks, naming it', async () => {
    const result = sampleResult([0]);
    result.chart.panels = [{ title: 'x', unit: 's', x: 'latency', y: ['secondz'] }];
    await assert.rejects(renderChart(result), /chart names column "secondz"/);
  });
});

describe('the benchmarks doc tables', () => {
  const doc = [
    '# Benchmarks',
    '',
    'Hand-written prose before: what was tried.',
    '',
    '<!-- bench:overhead -->',
    '| latency | old |',
    '| 0 ms | 1 |',
    '<!-- /bench:overhead -->',
    '',
    'Prose between: what each lever gave | 0 ms | 1 |.',
    '',
    '<!-- bench:sink -->',
    'the sink table as it was',
    '<!-- /bench:sink -->',
    '',
    'Prose after.',
    '',
  ].join('\n');

  it("writes the result's rows between its markers and leaves the text outside them as it was", () => {
    const result = sampleResult([0, 50]);
    const updated = replaceBlock(doc, 'overhead', resultBlock(result));
    const start = updated.indexOf('<!-- bench:overhead -->');
    const end = updated.indexOf('<!-- /bench:overhead -->');
    const inside = updated.slice(start, end);
    assert.ok(inside.includes('| latency | plain loop rec/s | ours (durable) rec/s | durable / plain |'), inside);
    assert.ok(inside.includes('| --- | ---: | ---: | ---: |'), inside);
    assert.ok(inside.includes('| 0 ms | 1,278 | 673 | 0.53 |'), inside);
    assert.ok(inside.includes('| 50 ms | 1,178 | 663 | 0.56 |'), inside);
    assert.ok(inside.includes('| durable / plain at 0 ms | 0.53 | ≥ 0.8 | no |'), inside);
    assert.ok(inside.includes('| &nbsp;&nbsp;staging | 9.7 |'), 'an indented step keeps its indent, one decimal');
    assert.ok(inside.includes(`on ${result.machine.cores} cores`), inside);
    assert.ok(inside.includes(`load average ${result.machine.loadAverageAtStart.map((n) => n.toFixed(2)).join(' ')} at start`), inside);
    assert.ok(inside.includes('BENCH_USERS=5000') && !inside.includes('BENCH_WORKER_OPTIONS'), 'settings given, unset ones left out');
    assert.ok(inside.includes('![Per-page overhead](benchmarks/overhead.png)'), inside);
    assert.ok(!inside.includes('| latency | old |'), 'the old table is replaced');
    assert.equal(updated.slice(0, start), doc.slice(0, doc.indexOf('<!-- bench:overhead -->')));
    assert.equal(updated.slice(end), doc.slice(doc.indexOf('<!-- /bench:overhead -->')));
    assert.ok(updated.includes('<!-- bench:sink -->\nthe sink table as it was\n<!-- /bench:sink -->'), "another bench's block is untouched");
  });

  it('gives the same document when run twice on the same result', () => {
    const block = resultBlock(sampleResult([0]));
    const once = replaceBlock(doc, 'overhead', block);
    assert.equal(replaceBlock(once, 'overhead', block), once);
  });

  it('adds a section with the markers for a bench the document has none for', () => {
    const updated = replaceBlock(doc, 'scale', 'the scale table');
    assert.ok(updated.startsWith(doc.trimEnd()));
    assert.ok(updated.endsWith('## scale\n\n<!-- bench:scale -->\nthe scale table\n<!-- /bench:scale -->\n'), updated);
  });

  it('refuses markers that are unpaired or repeated', () => {
    assert.throws(() => replaceBlock('<!-- bench:overhead -->\nno end', 'overhead', 'x'), /marker <!-- \/bench:overhead --> is missing/);
    assert.throws(() => replaceBlock(`${doc}\n<!-- bench:sink -->\n<!-- /bench:sink -->\n`, 'sink', 'x'), /appears more than once/);
  });

  it('rewrites a document file in place', () => {
    const path = join(dir, 'benchmarks.md');
    writeFileSync(path, doc);
    updateBenchmarksDoc([sampleResult([0, 50])], path);
    const updated = readFileSync(path, 'utf8');
    assert.ok(updated.includes('| 50 ms | 1,178 | 663 | 0.56 |'));
    assert.ok(updated.includes('Prose between: what each lever gave | 0 ms | 1 |.'));
  });

  it('has a block in docs/benchmarks.md, and a script, for every bench that bench:all runs', () => {
    const benchmarks = readFileSync(BENCHMARKS_DOC, 'utf8');
    for (const bench of BENCHES) {
      assert.ok(benchmarks.includes(`<!-- bench:${bench} -->`) && benchmarks.includes(`<!-- /bench:${bench} -->`), `docs/benchmarks.md lacks the markers of ${bench}`);
      assert.ok(existsSync(join(__dirname, '..', '..', 'bench', `${bench}.ts`)), `bench/${bench}.ts`);
    }
  });
});
