import { recordCheckFor, type SchemaChoice } from '../schemas/record-check';
import type { PersistResult } from '../sinks/sink';
import type { SinkPool } from '../sinks/open-sink';
import type { SinkConfig } from '../spec/export-spec';

export interface PersistPageInput {
  runId: string;
  /** The audit trail's name for this traversal (the resource, or `resource/p<n>` for a partition). */
  traversal: string;
  sink: SinkConfig;
  resource: { name: string; primaryKey: string[]; schema?: SchemaChoice; recordDefaults?: Record<string, string> };
  ref: string;
  pageNumber: number;
  cursorBefore: string | null;
  cursorAfter: string | null;
  sha256: string;
}

/**
 * Validates a staged page against the resource's schema, upserts the valid records, quarantines the rest and
 * writes its audit row, in one transaction; running it twice changes nothing.
 */
export async function persistPage(sinks: SinkPool, input: PersistPageInput): Promise<PersistResult> {
  const sink = await sinks.get(input.sink);
  return sink.persistPage({
    ref: input.ref,
    runId: input.runId,
    resource: input.resource,
    traversal: input.traversal,
    pageNumber: input.pageNumber,
    cursorBefore: input.cursorBefore,
    cursorAfter: input.cursorAfter,
    sha256: input.sha256,
    check: recordCheckFor(input.resource.schema),
    recordDefaults: input.resource.recordDefaults,
  });
}
