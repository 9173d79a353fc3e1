import type { DeletionScanResult } from '../sinks/deletion-ledger';
import type { SinkPool } from '../sinks/open-sink';
import { keyPage } from '../sinks/page-rows';
import type { ResourceTable } from '../sinks/sink';
import type { ResourceConfig, SinkConfig, SourceConfig } from '../spec/export-spec';
import { availableChangeVersions } from './change-versions';
import { credentialsFor } from './credentials';
import { getJson } from './get-json';

/** Tombstones per request: Ed-Fi's page-size limit. */
const TOMBSTONES_PER_PAGE = 500;

export interface DetectDeletionsInput {
  runId: string;
  sink: SinkConfig;
  resource: ResourceTable;
  maxShare: number;
}

/** Flags the resource's stored rows that this complete run did not see; lifts flags on rows it saw again. */
export async function detectDeletions(sinks: SinkPool, input: DetectDeletionsInput): Promise<DeletionScanResult> {
  const sink = await sinks.get(input.sink);
  return sink.deletions.scan(input.runId, input.resource, input.maxShare);
}

/** When the resource's deletions were last scanned (ISO time), or null if never. */
export async function lastDeletionScan(sinks: SinkPool, input: { sink: SinkConfig; resource: string }): Promise<string | null> {
  const sink = await sinks.get(input.sink);
  return (await sink.deletions.lastScanAt(input.resource)) ?? null;
}

interface EdfiTombstone {
  id?: unknown;
  changeVersion?: unknown;
  keyValues?: Record<string, unknown>;
}

/**
 * Deletions the source publishes (Ed-Fi `<resource>/deletes`): reads the tombstones since the last scan's
 * newest change version, up to the newest now, and flags the stored rows they name, with their versions.
 */
export async function detectPublishedDeletions(
  sinks: SinkPool,
  input: { runId: string; source: SourceConfig; resource: ResourceConfig; sink: SinkConfig },
): Promise<DeletionScanResult> {
  const { source, resource } = input;
  const sink = await sinks.get(input.sink);
  const from = ((await sink.deletions.lastPublishedVersion(resource.name)) ?? -1) + 1;
  const { newestChangeVersion } = await availableChangeVersions({ source, resource });
  const credentials = credentialsFor(source);
  const tombstones: Array<{ key: string; changeVersion: number }> = [];
  for (let offset = 0; ; offset += TOMBSTONES_PER_PAGE) {
    const url = new URL(`${source.baseUrl}${resource.path}/deletes`);
    for (const [name, value] of Object.entries({ minChangeVersion: from, maxChangeVersion: newestChangeVersion, offset, limit: TOMBSTONES_PER_PAGE })) url.searchParams.set(name, String(value));
    const { body } = await getJson(url.toString(), source, credentials, `deletes of ${resource.name}`);
    const page = Array.isArray(body) ? (body as EdfiTombstone[]) : [];
    // The stored key is built the way a record's is: from the tombstone's own fields, or its natural key values.
    for (const tombstone of page) {
      const [row] = keyPage([{ ...tombstone.keyValues, ...tombstone }], resource.primaryKey).rows;
      if (row !== undefined) tombstones.push({ key: row.key, changeVersion: Number(tombstone.changeVersion ?? 0) });
    }
    if (page.length < TOMBSTONES_PER_PAGE) break;
  }
  return sink.deletions.flagPublished(input.runId, resource, tombstones, newestChangeVersion);
}
