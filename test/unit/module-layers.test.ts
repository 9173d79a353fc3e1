import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from '@jest/globals';

const SRC = join(__dirname, '..', '..', 'src');

/** Folders of src that may depend on each other one way only: [below, above]. `above` may import `below`, never both ways. */
const ONE_WAY: Array<[string, string]> = [['integrity', 'sinks']];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Every module a file names: static and type imports, re-exports, side-effect imports, `import()` and `require()`. */
function specifiersOf(text: string): string[] {
  const patterns = [/\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  return patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1] as string));
}

/** The src folder a relative specifier lands in, or null for a package or a file outside src. */
function folderOf(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const path = relative(SRC, resolve(dirname(file), specifier));
  return path.startsWith('..') || !path.includes(sep) ? null : (path.split(sep)[0] as string);
}

/** `sinks/sql-sink.ts → ../integrity/audit-chain` for each import from one src folder into another. */
function importsBetween(from: string, to: string): string[] {
  return sourceFiles(join(SRC, from)).flatMap((file) =>
    specifiersOf(readFileSync(file, 'utf8'))
      .filter((specifier) => folderOf(file, specifier) === to)
      .map((specifier) => `${relative(SRC, file)} → ${specifier}`),
  );
}

describe('module layers', () => {
  it('reads every form of import a source file uses', () => {
    const text = [
      "import type { AuditRow, Sink } from '../sinks/sink';",
      "import {\n  chainLink,\n  genesisLink,\n} from '../integrity/audit-chain';",
      "export { x } from './x';",
      "import './side-effect';",
      "const { DuckDbDriver } = require('./duckdb') as typeof import('./duckdb-types');",
      "const later = await import('../later');",
      "const text = 'imports from nowhere';",
    ].join('\n');
    assert.deepEqual(specifiersOf(text).sort(), ['../integrity/audit-chain', '../later', '../sinks/sink', './duckdb', './duckdb-types', './side-effect', './x']);
  });

  it.each(ONE_WAY)('keeps src/%s and src/%s free of a cycle: only the second imports the first', (below, above) => {
    const down = importsBetween(above, below);
    const up = importsBetween(below, above);
    assert.ok(down.length > 0, `src/${above} no longer imports src/${below}: the layering this test guards has changed, update ONE_WAY`);
    assert.deepEqual(up, [], `src/${below} sits below src/${above} (which imports it ${down.length} times, e.g. ${down[0]}), so it must not import it back`);
  });
});
