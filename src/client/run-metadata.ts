import type { Client } from '@temporalio/client';
import type { ExportSpec } from '../spec/export-spec';
import { startAttributes } from '../workflows/search-attributes';
import { searchAttributesRegistered } from './search-attributes';

/**
 * What a run shows in the Web UI before anyone opens its history: a one-line summary and details (what it
 * exports, from where, to where), and its search attributes where the namespace has them (`lms-export setup`).
 * Names, a host and a sink kind only: these are stored in clear (no payload codec applies to them).
 */
export async function runMetadata(client: Client, spec: ExportSpec) {
  const host = new URL(spec.source.baseUrl).host;
  const sink = spec.sink.kind === 'duckdb' ? 'DuckDB' : `PostgreSQL schema ${spec.sink.schema}`;
  const resources = spec.resources.map((r) => r.name);
  const details = [
    `**${spec.name}**: ${spec.source.preset} at ${host} into ${sink}`,
    '',
    ...spec.resources.map((r) => `- ${r.name}${r.parent ? ` (per ${r.parent.resource})` : ''}${r.partitions ? ` (${r.partitions.count} partitions)` : ''}`),
  ].join('\n');
  return {
    staticSummary: `export ${spec.name}: ${resources.join(', ')} from ${host} into ${sink}`,
    staticDetails: details,
    ...((await searchAttributesRegistered(client)) ? { typedSearchAttributes: startAttributes(spec) } : {}),
  };
}
