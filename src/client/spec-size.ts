/**
 * How big a spec may be to start a run. The spec is the workflow's input, one payload in its first history
 * event: the Temporal server refuses a payload over its blob limit (2 MB by default) and warns from 512 KB, and
 * the run copies each resource's part into its children's inputs. A spec that passes here is refused by no
 * default server, and leaves the run's history room for everything else.
 */
export const MAX_SPEC_BYTES = 512 * 1024;

/** What makes a spec big, the biggest first: long `parent.keys` lists and `query` arrays of some resource. */
function largestParts(raw: unknown): Array<{ path: string; bytes: number }> {
  const resources = (raw as { resources?: unknown } | null)?.resources;
  if (!Array.isArray(resources)) return [];
  const parts: Array<{ path: string; bytes: number }> = [];
  resources.forEach((resource: { parent?: { keys?: unknown }; query?: Record<string, unknown> } | null, i) => {
    if (resource?.parent?.keys !== undefined) parts.push({ path: `resources[${i}].parent.keys`, bytes: jsonBytes(resource.parent.keys) });
    for (const [name, value] of Object.entries(resource?.query ?? {})) {
      if (Array.isArray(value)) parts.push({ path: `resources[${i}].query.${name}`, bytes: jsonBytes(value) });
    }
  });
  return parts.sort((a, b) => b.bytes - a.bytes).slice(0, 3);
}

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/** A spec too big to start as one run, refused before anything is sent. */
export class SpecTooLargeError extends Error {
  constructor(readonly bytes: number) {
    super(`spec is too large to start: ${kib(bytes)} of JSON, over the ${kib(MAX_SPEC_BYTES)} a run's input may hold`);
    this.name = 'SpecTooLargeError';
  }
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Throws naming the size and the biggest parts when the spec's JSON is over MAX_SPEC_BYTES. */
export function assertSpecSize(raw: unknown): void {
  const bytes = jsonBytes(raw);
  if (bytes <= MAX_SPEC_BYTES) return;
  const error = new SpecTooLargeError(bytes);
  const parts = largestParts(raw).filter((p) => p.bytes >= 1024);
  const biggest = parts.length === 0 ? '' : ` The biggest parts: ${parts.map((p) => `${p.path} (${kib(p.bytes)})`).join(', ')}.`;
  error.message += `.${biggest} Specs grow with long parent.keys lists and query arrays, and with many resources: split the keys or resources over several specs (one per school, say).`;
  throw error;
}

/** Whether the Temporal server refused a request because a payload was over its blob size limit. */
export function isPayloadTooLarge(error: unknown): boolean {
  for (let at = error as { message?: string; details?: string; cause?: unknown } | undefined; at !== undefined && at !== null; at = at.cause as typeof at) {
    if (/blob (data )?size|payload.*(too large|size|exceeds)|message larger than max|exceeds limit/i.test(`${at.message ?? ''} ${at.details ?? ''}`)) return true;
  }
  return false;
}
