import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from '@jest/globals';
import { PATCHES, type Patch } from '../../src/workflows/patches';

const SRC = join(__dirname, '..', '..', 'src');
/** The register itself speaks of the calls in its comments. */
const REGISTER = join(SRC, 'workflows', 'patches.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Every `patched(…)` and `deprecatePatch(…)` call in the sources, with what it is called with. */
function patchCalls(): Array<{ file: string; call: 'patched' | 'deprecatePatch'; argument: string }> {
  return sourceFiles(SRC).filter((file) => file !== REGISTER).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/\b(patched|deprecatePatch)\(([^)]*)\)/g)].map((m) => ({
      file: relative(SRC, file),
      call: m[1] as 'patched' | 'deprecatePatch',
      argument: (m[2] ?? '').trim(),
    })),
  );
}

describe('the patch register', () => {
  const entries = Object.entries(PATCHES) as Array<[string, Patch]>;

  it('names every patch the workflow code asks for: no id is written at a call site', () => {
    for (const { file, call, argument } of patchCalls()) {
      const name = /^PATCHES\.(\w+)\.id$/.exec(argument)?.[1];
      assert.ok(name !== undefined && name in PATCHES, `${file}: ${call}(${argument}) — add the patch to src/workflows/patches.ts and call ${call}(PATCHES.<name>.id)`);
    }
  });

  it('asks for each patch the way its stage says: patched while both paths live, deprecatePatch once deprecated', () => {
    const calls = patchCalls();
    for (const [name, patch] of entries) {
      const sites = calls.filter((c) => c.argument === `PATCHES.${name}.id`);
      assert.ok(sites.length > 0, `${patch.id} is in the register but no code asks for it: remove it (step 2 of the cycle)`);
      const expected = patch.deprecated ? 'deprecatePatch' : 'patched';
      for (const site of sites) assert.equal(site.call, expected, `${site.file}: ${patch.id} is ${patch.deprecated ? 'deprecated' : 'live'}, so call ${expected}`);
    }
  });

  it('gives each patch its own id, the day it landed and why it exists', () => {
    assert.equal(new Set(entries.map(([, p]) => p.id)).size, entries.length, 'patch ids are unique');
    for (const [name, patch] of entries) {
      assert.match(patch.added, /^\d{4}-\d{2}-\d{2}$/, `${name}.added`);
      assert.ok(!Number.isNaN(Date.parse(patch.added)), `${name}.added is a date`);
      assert.ok(patch.why.length > 20, `${name}.why says what the new path does and what old runs do`);
    }
  });
});
