import type { Sink } from '../sinks/sink';
import type { ResourceConfig, SourceConfig } from '../spec/export-spec';

/**
 * Before a traversal's request: the resource's table must be this spec's, or shared by every writer. Refused
 * non-retryably, naming the owner, before anything of another spec is overwritten.
 */
export async function claimResourceTable(sink: Sink, spec: string, source: SourceConfig, resource: ResourceConfig): Promise<void> {
  await sink.claimTable({
    table: resource.name,
    spec,
    resource: resource.name,
    source: source.baseUrl,
    path: resource.path,
    shared: resource.sharedTable ?? false,
  });
}
