import type { Sink } from '../sinks/sink';
import type { ResourceConfig, SourceConfig } from '../spec/export-spec';

/**
 * Before a traversal's request: the resource's table must be this spec's, or shared by every writer. Refused
 * non-retryably, naming the owner, before anything of another spec is overwritten. A fan-out's parents claim
 * with the path template they share, not each with its own filled path: one claim per table, not one per parent.
 */
export async function claimResourceTable(sink: Sink, spec: string, source: SourceConfig, resource: ResourceConfig, pathTemplate?: string): Promise<void> {
  await sink.claimTable({
    table: resource.name,
    spec,
    resource: resource.name,
    source: source.baseUrl,
    path: pathTemplate ?? resource.path,
    shared: resource.sharedTable ?? false,
  });
}
