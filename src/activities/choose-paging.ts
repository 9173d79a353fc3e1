import { ApplicationFailure } from '@temporalio/activity';
import { edfiApiRoot, hasKeySetPaging } from '../sources/edfi';
import type { ResourceConfig, SourceConfig } from '../spec/export-spec';
import { countRecords } from './count-records';
import { credentialsFor } from './credentials';
import { getJson } from './get-json';
import { partitionTokens } from './list-partitions';
import { FailureType } from '../failures';

export interface ChoosePagingInput {
  source: SourceConfig;
  resource: ResourceConfig;
}

/** How an Ed-Fi resource is paged in this run, why, and the total asked on its own for key-set paging. */
export interface PagingChoice {
  mode: 'key-set' | 'offset';
  reason: string;
  total: number | null;
}

/** Failures that mean "this server has no such thing", as opposed to faults worth retrying. */
const REFUSED: ReadonlySet<string> = new Set([FailureType.NotFound, FailureType.BadRequest]);

function refused(error: unknown): error is ApplicationFailure {
  return error instanceof ApplicationFailure && REFUSED.has(error.type ?? '');
}

/** The ODS/API version its root document states (`GET <api root>/`: `{"version": "7.3", …}`), or why there is none. */
async function statedVersion(source: SourceConfig): Promise<{ version: string; url: string } | { unknown: string }> {
  const url = edfiApiRoot(source.baseUrl);
  try {
    const { body } = await getJson(url, source, credentialsFor(source), 'ODS/API version document');
    const version = (body as { version?: unknown } | null)?.version;
    return typeof version === 'string' && /^\d+\.\d+/.test(version) ? { version, url } : { unknown: `GET ${url} states no version` };
  } catch (error) {
    if (refused(error)) return { unknown: `GET ${url}: ${error.message}` };
    throw error;
  }
}

/**
 * Ed-Fi ODS/API pages by key set from 7.3 on and by limit/offset only before. The API root's version document
 * decides; where it says nothing, whether `<resource>/partitions` answers does (older servers have no such
 * route). Key-set paging cannot carry a total, so it is asked here, once, with a request of its own.
 */
export async function choosePaging(input: ChoosePagingInput): Promise<PagingChoice> {
  const { source, resource } = input;
  const stated = await statedVersion(source);
  let choice: Omit<PagingChoice, 'total'>;
  if ('version' in stated) {
    choice = hasKeySetPaging(stated.version)
      ? { mode: 'key-set', reason: `ODS/API ${stated.version} (${stated.url}) pages by key set from server tokens` }
      : { mode: 'offset', reason: `ODS/API ${stated.version} (${stated.url}) has no key-set paging (7.3 and later): limit/offset, with a second pass` };
  } else {
    try {
      await partitionTokens(source, resource, 1);
      choice = { mode: 'key-set', reason: `${resource.path}/partitions answers (${stated.unknown}): key-set paging from server tokens` };
    } catch (error) {
      if (!refused(error)) throw error;
      choice = { mode: 'offset', reason: `${resource.path}/partitions is refused (${error.message}; ${stated.unknown}): an ODS/API before 7.3, limit/offset with a second pass` };
    }
  }
  return { ...choice, total: choice.mode === 'key-set' ? await countRecords(source, resource) : null };
}
