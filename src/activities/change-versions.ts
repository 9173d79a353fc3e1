import { edfiApiRoot } from '../sources/edfi';
import type { ResourceConfig, SourceConfig } from '../spec/export-spec';
import { credentialsFor } from './credentials';
import { getJson } from './get-json';

export interface ChangeVersions {
  oldestChangeVersion: number;
  newestChangeVersion: number;
}

/** Where Ed-Fi's availableChangeVersions is: as the spec says, or beside `/data/v3` on the same host. */
export function changeVersionsUrl(source: SourceConfig, resource: ResourceConfig): string {
  const configured = resource.updateScan?.changeVersionsUrl;
  if (configured !== undefined) return configured;
  return `${edfiApiRoot(source.baseUrl)}ChangeQueries/v1/availableChangeVersions`;
}

/** The range of change versions the ODS can answer for now. */
export async function availableChangeVersions(input: { source: SourceConfig; resource: ResourceConfig }): Promise<ChangeVersions> {
  const url = changeVersionsUrl(input.source, input.resource);
  const { body } = await getJson(url, input.source, credentialsFor(input.source), 'availableChangeVersions');
  const { oldestChangeVersion, newestChangeVersion } = (body ?? {}) as Partial<ChangeVersions>;
  if (typeof newestChangeVersion !== 'number') throw new Error(`GET ${new URL(url).pathname}: no newestChangeVersion in the answer`);
  return { oldestChangeVersion: oldestChangeVersion ?? 0, newestChangeVersion };
}
