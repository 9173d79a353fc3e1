import type { ResourceConfig, SourceConfig } from '../spec/export-spec';
import { canvasPreset } from './canvas';
import { genericPreset } from './generic';
import type { ResolvedPaging, SourcePreset } from './source-preset';

const presets: Record<SourceConfig['preset'], SourcePreset> = { canvas: canvasPreset, generic: genericPreset };

export function resolvePaging(source: SourceConfig, resource: ResourceConfig): ResolvedPaging {
  return presets[source.preset].resolve(source, resource);
}
