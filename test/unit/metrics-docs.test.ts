import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';

const root = join(__dirname, '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** The metrics the code emits: every name given to a meter in the two files that emit ours. */
const emitted = new Set(
  ['src/activities/export-metrics.ts', 'src/workflows/run-metrics.ts'].flatMap((file) => [...read(file).matchAll(/create(?:Counter|Histogram)\('(lms_export_\w+)'/g)].map((m) => m[1] as string)),
);
const readme = read('README.md');
const metricsSection = readme.slice(readme.indexOf('## Metrics'), readme.indexOf('\n## ', readme.indexOf('## Metrics') + 1));
const dashboard = read('docs/grafana-dashboard.json');

describe('the metrics documentation', () => {
  it("lists every metric the code emits in the README's Metrics section", () => {
    assert.ok(emitted.size >= 8, [...emitted].join(', '));
    for (const name of emitted) assert.ok(metricsSection.includes(`| \`${name}\` |`), `${name} is not in the README's Metrics table`);
  });

  it('has a Grafana dashboard that charts only metrics the code emits, and each of them', () => {
    const panels = (JSON.parse(dashboard) as { panels: Array<{ targets: Array<{ expr: string }> }> }).panels;
    const charted = new Set(panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/lms_export_\w+/g)].map((m) => m[0].replace(/_(sum|count|bucket)$/, '')))));
    assert.deepEqual([...charted].filter((name) => !emitted.has(name)), [], 'charted but never emitted');
    assert.deepEqual([...emitted].filter((name) => !charted.has(name)), [], 'emitted but not charted');
    assert.ok(dashboard.includes('temporal_activity_schedule_to_start_latency_bucket'));
  });
});
