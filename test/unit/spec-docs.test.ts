import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import { z } from 'zod';
import { exportSpecSchema } from '../../src/spec/export-spec';
import { parseExportSpec } from '../../src/spec/parse-spec';

const root = join(__dirname, '..', '..');
const specDoc = readFileSync(join(root, 'docs', 'spec.md'), 'utf8');

function jsonBlocks(markdown: string): unknown[] {
  return [...markdown.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] as string));
}

/** Every property name anywhere in the JSON Schema. */
function propertyNames(schema: unknown, names = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) schema.forEach((s) => propertyNames(s, names));
  else if (schema !== null && typeof schema === 'object') {
    const properties = (schema as { properties?: Record<string, unknown> }).properties;
    if (properties !== undefined) Object.keys(properties).forEach((k) => names.add(k));
    Object.values(schema).forEach((v) => propertyNames(v, names));
  }
  return names;
}

describe('docs/spec.md', () => {
  it('documents every field of the schema', () => {
    const names = propertyNames(z.toJSONSchema(exportSpecSchema, { io: 'input' }));
    assert.ok(names.size > 25);
    const undocumented = [...names].filter((n) => !specDoc.includes(`\`${n}\``) && !specDoc.includes(`\`${n}.`) && !specDoc.includes(`.${n}\``));
    assert.deepEqual(undocumented, []);
  });

  it('shows only examples that validate, in the docs and the README', () => {
    const blocks = [...jsonBlocks(specDoc), ...jsonBlocks(readFileSync(join(root, 'README.md'), 'utf8'))];
    assert.ok(blocks.length >= 4);
    for (const block of blocks) parseExportSpec(block);
  });
});
