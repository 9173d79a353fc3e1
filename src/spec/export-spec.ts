import { z } from 'zod';
import { atAfterAuthority, credentialParam, isCredentialHeader, secretInUrl } from './secrets';
import { BUILT_IN_SCHEMA_NAMES } from '../schemas/built-in';
import { DECLARED_FIELD_TYPES } from '../schemas/field-types';
import { INTERVAL_PATTERN } from './interval';
import { keyColumnCollisions } from './key-columns';
import { runSizeIssues } from './run-limits';
import { DEFAULT_HASH_KEY_ENV, privacyConflicts } from '../privacy/spec-rules';

/**
 * ExportSpec: the public, plain-JSON contract of an export. It travels as workflow input, so it holds no
 * secrets: credentials are named by the environment variable an activity reads them from.
 *
 * Validation here is pure (no I/O, no Node built-ins) because the same schema runs inside the workflow
 * sandbox, where a bad spec started from the Temporal CLI or Web UI must fail at once with a readable error.
 */

const identifier = /^[a-z][a-z0-9_]{0,62}$/;
const envVarName = /^[A-Za-z_][A-Za-z0-9_]*$/;
const httpUrl = /^https?:\/\/[^\s/?#]+(\/[^\s]*)?$/;

/** A URL field that must not hold a secret (secrets.ts); `instead` says where the credential belongs. */
function refuseSecretInUrl(instead: string) {
  return (url: string, ctx: z.RefinementCtx): void => {
    const secret = secretInUrl(url);
    if (secret !== undefined) ctx.addIssue({ code: 'custom', message: `${secret}, and a spec is stored in clear in workflow history: give the credential by environment variable (${instead})` });
  };
}

/** A Postgres URL with a password (in userinfo or as ?password=), or one no parser reads: both belong in urlEnv. */
function refusePostgresSecret(url: string, ctx: z.RefinementCtx): void {
  const urlEnv = 'put the URL in an environment variable and name it in urlEnv';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // A password holding "/", "@" or "#" unencoded makes the URL unreadable; it would fail later as "Invalid URL".
    ctx.addIssue({ code: 'custom', message: `is not a URL a client can read (a password with /, @ or # must be percent-encoded): ${urlEnv}` });
    return;
  }
  if (parsed.password !== '') ctx.addIssue({ code: 'custom', message: `holds a password: ${urlEnv}` });
  else if (atAfterAuthority(url)) {
    // Read as a URL, `postgres://u:12/pw@host/db` is host "u" with the password's tail in its path.
    ctx.addIssue({ code: 'custom', message: `holds an "@" after its host, the rest of a password with an unencoded /, ? or #: ${urlEnv}` });
  }
  else if ([...parsed.searchParams.keys()].some((name) => /^(password|sslpassword)$/i.test(name))) {
    ctx.addIssue({ code: 'custom', message: `holds a password in its query: ${urlEnv}` });
  }
}

/** A dotted path into a JSON body, e.g. `data`, `meta.next_cursor`; empty means the body itself. */
/** A field of a record, dotted for nested objects, e.g. `studentReference.studentUniqueId`. */
const fieldPath = z.string().regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'expected a field name or a dotted path like schoolReference.schoolId');

const jsonPath = z.string().regex(/^$|^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'expected a dotted path like meta.next');

export const authSchema = z
  .object({
    bearerTokenEnv: z
      .string()
      .regex(envVarName, 'expected an environment variable name like CANVAS_TOKEN')
      .optional()
      .describe('Name of the environment variable that holds the bearer token; read by the worker, never stored.'),
    queryTokenEnv: z
      .string()
      .regex(envVarName, 'expected an environment variable name like MOODLE_TOKEN')
      .optional()
      .describe('Name of the environment variable holding a token the API takes as a query parameter (Moodle wstoken).'),
    queryTokenParam: z.string().min(1).default('wstoken').describe('Query parameter that carries queryTokenEnv\'s token.'),
  })
  .strict()
  .refine((a) => (a.bearerTokenEnv === undefined) !== (a.queryTokenEnv === undefined), {
    message: 'needs exactly one of bearerTokenEnv or queryTokenEnv',
    path: ['bearerTokenEnv'],
  });

export const sourceSchema = z
  .object({
    preset: z
      .enum(['canvas', 'edfi', 'oneroster', 'blackboard', 'moodle', 'generic'])
      .default('generic')
      .describe('Source system whose paging, page-size caps, totals and error formats apply (docs/sources.md).'),
    baseUrl: z
      .string()
      .regex(httpUrl, 'expected an absolute http(s) URL like https://school.instructure.com/api/v1')
      .superRefine(refuseSecretInUrl('source.auth.bearerTokenEnv or queryTokenEnv'))
      .describe('Base URL; resource paths are appended to it. Next links are followed only on its origin.'),
    auth: authSchema.optional(),
    headers: z
      .record(z.string(), z.string())
      .superRefine((headers, ctx) => {
        // CR/LF would split the request (or make every request fail): a configuration error, never worth a retry.
        for (const [name, value] of Object.entries(headers)) {
          if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `header name ${JSON.stringify(name)} is not a valid HTTP header name` });
          else if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: `header ${name}: the value holds a line break or another control character` });
          else if (isCredentialHeader(name, value)) {
            ctx.addIssue({
              code: 'custom',
              path: [name],
              message: `header ${name} carries a credential, and a spec is stored in clear in workflow history: name the environment variable that holds it in source.secretHeaders ({"${name}": "ENV_NAME"}), or use source.auth.bearerTokenEnv for a bearer token`,
            });
          }
        }
      })
      .optional()
      .describe('Extra non-secret request headers, e.g. Accept.'),
    secretHeaders: z
      .record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name'), z.string().regex(envVarName, 'expected an environment variable name like SIS_API_KEY'))
      .optional()
      .describe('Headers whose values are secrets, each read on the worker from the environment variable named here, e.g. {"X-Api-Key": "SIS_API_KEY"}.'),
    connectTimeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('TCP/TLS connect timeout.'),
    rateLimit: z
      .object({
        leakPerSecond: z
          .number()
          .positive()
          .default(10)
          .describe('How fast the source throttle bucket drains (Canvas: 10 units/s). Used to pace requests when answers carry X-Rate-Limit-Remaining.'),
        highWater: z
          .number()
          .positive()
          .default(700)
          .describe('The bucket size (Canvas: 700 units): readings are clamped into 0..highWater, so no answer holds requests longer than the bucket takes to leak; one that asked for longer is reported.'),
      })
      .strict()
      .default({ leakPerSecond: 10, highWater: 700 }),
    requestBudget: z
      .object({
        requestsPerSecond: z
          .number()
          .positive()
          .max(1_000)
          .optional()
          .describe('Page requests per second to this source across all workers together (enforced by the Temporal server). Default per preset (docs/sources.md).'),
        concurrentRequestsPerWorker: z
          .number()
          .int()
          .min(1)
          .max(100)
          .optional()
          .describe('Page requests to this source one worker runs at once. Default per preset (docs/sources.md).'),
      })
      .strict()
      .optional()
      .describe('How hard every worker together may hit this source; shared by all exports of the same host.'),
    requestTimeoutMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(60_000)
      .describe('Timeout for one whole request, from sending it to the last byte of its body.'),
    latencyTimeouts: z
      .union([
        z.literal(false),
        z
          .object({
            multiple: z.number().min(2).max(1_000).default(10).describe("Header and body timeouts are this many times the source's recent 95th-percentile latency."),
            floorMs: z.number().int().min(100).max(600_000).default(2_000).describe('Never shorter than this.'),
          })
          .strict(),
      ])
      .default({ multiple: 10, floorMs: 2_000 })
      .describe('Timeouts that follow the source (activities/latency.ts): a hung request is abandoned in seconds when the source answers in milliseconds; false: requestTimeoutMs for every request.'),
    maxPageBytes: z
      .number()
      .int()
      .min(1_024)
      .default(64 * 1024 * 1024)
      .describe('Largest response body read; a longer one fails the page and the connection is closed.'),
    maxServerWaitSeconds: z
      .number()
      .int()
      .min(1)
      .default(900)
      .describe('Longest wait a throttled answer may ask for (Retry-After, rate-limit reset headers); a longer one fails the page naming the header.'),
  })
  .strict();

export const linkHeaderPaginationSchema = z
  .object({
    type: z.literal('link-header'),
    pageSizeParam: z.string().min(1).default('per_page').describe('Query parameter that carries the page size.'),
  })
  .strict();

export const jsonCursorPaginationSchema = z
  .object({
    type: z.literal('json-cursor'),
    recordsPath: jsonPath.default('data').describe('Where the records array sits in the body ("" = body is the array).'),
    nextCursorPath: jsonPath.optional().describe('Where the next cursor sits; null or empty means done.'),
    nextUrlPath: jsonPath.optional().describe('Where a next-page URL sits (instead of a cursor).'),
    hasMorePath: jsonPath.optional().describe('Where a has-more boolean sits; false means done.'),
    cursorParam: z.string().min(1).default('cursor').describe('Query parameter that sends the cursor back.'),
    pageSizeParam: z.string().min(1).default('limit').describe('Query parameter that carries the page size.'),
  })
  .strict()
  .refine((p) => p.nextCursorPath !== undefined || p.nextUrlPath !== undefined, {
    message: 'json-cursor needs nextCursorPath or nextUrlPath',
    path: ['nextCursorPath'],
  });

const stopOnShortPage = z
  .boolean()
  .default(false)
  .describe('End on a page shorter than asked for (only where the API documents that a short page is the last).');

export const offsetPaginationSchema = z
  .object({
    type: z.literal('offset'),
    offsetParam: z.string().min(1).default('offset'),
    limitParam: z.string().min(1).default('limit'),
    recordsPath: jsonPath.default('').describe('Where the records array sits ("" = body is the array).'),
    stopOnShortPage,
  })
  .strict();

export const pageNumberPaginationSchema = z
  .object({
    type: z.literal('page-number'),
    pageParam: z.string().min(1).default('page'),
    pageSizeParam: z.string().min(1).default('per_page'),
    firstPage: z.number().int().min(0).default(1),
    recordsPath: jsonPath.default(''),
    totalPagesPath: jsonPath.optional().describe('Where the body says how many pages there are.'),
    stopOnShortPage,
  })
  .strict();

export const keysetPaginationSchema = z
  .object({
    type: z.literal('keyset'),
    fields: z.array(z.string().min(1)).min(1).default(['id']).describe('Ascending sort key, e.g. ["updated_at", "id"].'),
    params: z.array(z.string().min(1)).min(1).default(['after_id']).describe('Query parameters carrying the last key, one per field.'),
    pageSizeParam: z.string().min(1).default('limit'),
    recordsPath: jsonPath.default(''),
    stopOnShortPage,
  })
  .strict()
  .refine((p) => p.fields.length === p.params.length, { message: 'needs one query parameter per key field', path: ['params'] });

export const tokenHeaderPaginationSchema = z
  .object({
    type: z.literal('token-header'),
    header: z.string().min(1).default('Next-Page-Token').describe('Response header carrying the next token.'),
    tokenParam: z.string().min(1).default('pageToken').describe('Query parameter that sends the token back.'),
    pageSizeParam: z.string().min(1).default('pageSize'),
    recordsPath: jsonPath.default(''),
  })
  .strict();

export const bodyLinkPaginationSchema = z
  .object({
    type: z.literal('body-link'),
    recordsPath: jsonPath.default('results'),
    nextPath: jsonPath.default('paging.nextPage').describe('Where the next-page URL (relative or absolute) sits in the body.'),
    pageSizeParam: z.string().min(1).default('limit'),
  })
  .strict();

export const paginationSchema = z.discriminatedUnion('type', [
  linkHeaderPaginationSchema,
  jsonCursorPaginationSchema,
  offsetPaginationSchema,
  pageNumberPaginationSchema,
  keysetPaginationSchema,
  tokenHeaderPaginationSchema,
  bodyLinkPaginationSchema,
]);

export const totalSchema = z
  .object({
    header: z.string().min(1).optional().describe('Response header with the collection size, e.g. Total-Count.'),
    path: jsonPath.optional().describe('Dotted path to the collection size in the body.'),
  })
  .strict();

/** A resource's privacy rule; what it may not touch is checked with the whole spec (src/privacy/spec-rules.ts). */
export const privacySchema = z
  .object({
    drop: z
      .array(fieldPath)
      .default([])
      .describe('Fields removed from every record before it is staged: they never reach the sink, its quarantine or an export, e.g. ["birth_date"].'),
    hash: z
      .array(fieldPath)
      .default([])
      .describe('Fields stored as HMAC-SHA-256 of their value ("hmac256:" and hex), e.g. ["email", "sis_user_id"]: the same value hashes alike in every resource and run, so joins still work.'),
    hashKeyEnv: z
      .string()
      .regex(envVarName, 'expected an environment variable name like LMS_EXPORT_PRIVACY_KEY')
      .default(DEFAULT_HASH_KEY_ENV)
      .describe('Environment variable holding the hash key (at least 32 bytes), read by the worker; the run fails at once if it is unset or short.'),
  })
  .strict();

export const resourceSchema = z
  .object({
    name: z
      .string()
      .regex(identifier, 'expected a lowercase identifier like enrollments (it names the table)')
      .describe('Resource name; also the table name in the sink.'),
    path: z
      .string()
      .regex(/^\//, 'expected a path starting with /')
      .superRefine((path, ctx) => {
        const param = credentialParam([...new URLSearchParams(path.split('?')[1] ?? '').keys()]);
        if (param !== undefined) {
          ctx.addIssue({ code: 'custom', message: `holds a credential in its query (${param}=), and a spec is stored in clear in workflow history: name its environment variable in source.auth.queryTokenEnv (with queryTokenParam "${param}")` });
        }
      })
      .describe('Path below source.baseUrl.'),
    primaryKey: z
      .array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'expected a field name like id'))
      .min(1, 'needs at least one field')
      .describe('Field(s) that identify a record; upserts key on them.'),
    sharedTable: z
      .boolean()
      .default(false)
      .describe('Let resources of other specs (other sources) write this table too; every writer must set it.'),
    pageSize: z.number().int().min(1).max(10_000).optional().describe('Records per page requested.'),
    pagination: paginationSchema.optional().describe('How to page; the preset supplies it when omitted.'),
    total: totalSchema.optional().describe('Where the API reports the collection size; the preset supplies it when omitted.'),
    schema: z
      .union([
        z.enum(BUILT_IN_SCHEMA_NAMES),
        z
          .object({
            required: z
              .record(fieldPath, z.enum(DECLARED_FIELD_TYPES))
              .default({})
              .describe('Fields every record must have, with their JSON types, e.g. {"id": "integer", "student.uniqueId": "string"}.'),
            optional: z.record(fieldPath, z.enum(DECLARED_FIELD_TYPES)).default({}).describe('Fields that may be missing or null, but have this type when present.'),
          })
          .strict(),
      ])
      .optional()
      .describe('What each record must look like: a built-in schema (docs/spec.md) or a minimal declared one. Records that fail go to quarantine.'),
    maxInvalidRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0.01)
      .describe('Share of records that may fail validation before the resource fails (quarantined records never land).'),
    completeness: z
      .object({
        countTolerance: z
          .number()
          .min(0)
          .max(1)
          .default(0)
          .describe('Share of the announced total the stored rows may fall short by, beyond what the total itself moved during the run.'),
        maxKeyGap: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe('For a numeric single-field key: a run of more missing ids than this, between stored ones, makes the run incomplete.'),
        spotCheck: z.boolean().default(true).describe('Re-fetch the first, a middle and the last page after the traversal and confirm their keys are stored.'),
      })
      .strict()
      .default({ countTolerance: 0, spotCheck: true }),
    updateScan: z
      .object({
        sinceParam: z
          .string()
          .min(1)
          .optional()
          .describe('Query parameter that asks the source for rows changed since an ISO 8601 time, e.g. updated_since.'),
        changeVersions: z
          .boolean()
          .optional()
          .describe('Ed-Fi change queries instead: minChangeVersion from availableChangeVersions taken at run start; deletions then come from the resource\'s /deletes.'),
        changeVersionsUrl: z
          .string()
          .regex(httpUrl, 'expected an absolute http(s) URL')
          .superRefine(refuseSecretInUrl('source.auth'))
          .optional()
          .describe('Where availableChangeVersions is; by default the base URL with /data/v3… replaced by /ChangeQueries/v1/availableChangeVersions.'),
        overlapSeconds: z
          .number()
          .int()
          .min(0)
          .default(300)
          .describe('Reach this far before the run started, for clocks that disagree and changes committed late.'),
      })
      .strict()
      .refine((u) => (u.sinceParam === undefined) !== (u.changeVersions !== true), { message: 'needs exactly one of sinceParam or changeVersions: true', path: ['sinceParam'] })
      .optional()
      .describe('After the traversal, fetch the rows changed since the run started and upsert them (rows changed behind the cursor).'),
    parent: z
      .object({
        resource: z.string().regex(identifier, 'expected the name of another resource in this spec').describe('The resource whose rows this one hangs under (courses).'),
        key: fieldPath.default('id').describe("The parent record's field that goes into the path."),
        as: z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'expected a name like course_id')
          .describe('The placeholder in path ({course_id}), and the field each child row carries the parent key in.'),
        from: z.enum(['run', 'sink']).default('run').describe('run: the parent rows this run exported; sink: every parent row the sink holds (not soft-deleted).'),
        maxParallel: z.number().int().min(1).max(100).default(8).describe('Child traversals in flight at once (the source budget still caps requests).'),
        keys: z.array(z.string()).optional().describe('Only these parent keys (lms-export start --retry-failed sets it).'),
      })
      .strict()
      .optional()
      .describe('Fan out over a parent collection: one traversal of path per parent row, e.g. /courses/{course_id}/enrollments.'),
    incremental: z
      .object({
        cursorField: fieldPath.describe('The record field that grows with every change (updated_at); its greatest stored value is the high-water mark.'),
      })
      .strict()
      .optional()
      .describe('Read only what changed: after a sound run the high-water mark is saved; the next run asks for rows changed since it (less updateScan.overlapSeconds). The first run, or full: true, traverses everything.'),
    deletionScan: z
      .object({
        enabled: z.boolean().default(true).describe('After a complete traversal, flag stored rows it did not see for review (never deletes).'),
        maxShare: z
          .number()
          .min(0)
          .max(1)
          .default(0.05)
          .describe('If more than this share of the stored rows would be flagged, flag nothing and report an anomaly.'),
        every: z
          .string()
          .regex(INTERVAL_PATTERN, 'expected a duration like 24h, 30m or 7d')
          .optional()
          .describe('Run the scan at most this often (an hourly sync skips it until the interval has passed since the last one).'),
      })
      .strict()
      .default({ enabled: true, maxShare: 0.05 }),
    reconcile: z
      .boolean()
      .default(true)
      .describe('After an offset or page-number traversal, page through once more to pick up rows that shifted past it.'),
    partitions: z
      .object({
        count: z.number().int().min(1).max(200).describe('Partitions: asked of the API (Ed-Fi /partitions?number=N), or id ranges to split into (keyset).'),
        maxParallel: z.number().int().min(1).max(64).default(4).describe('Partitions exported at once.'),
        idRange: z
          .object({ min: z.number().int(), max: z.number().int() })
          .strict()
          .refine((r) => r.min <= r.max, { message: 'min must not exceed max', path: ['max'] })
          .optional()
          .describe('Keyset sources: the id range to split into `count` contiguous ranges.'),
        upperParam: z.string().min(1).optional().describe('Keyset sources: the query parameter bounding a range from above (id <= value).'),
      })
      .strict()
      .optional()
      .describe('Split the resource into partitions exported in parallel: Ed-Fi partition tokens, or id ranges of a keyset source.'),
    query: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]))
      .superRefine((query, ctx) => {
        const param = credentialParam(Object.keys(query));
        if (param !== undefined) {
          ctx.addIssue({ code: 'custom', path: [param], message: `${param} is a credential, and a spec is stored in clear in workflow history: name its environment variable in source.auth.queryTokenEnv (with queryTokenParam "${param}")` });
        }
      })
      .optional()
      .describe('Extra query parameters on the first request; arrays repeat the parameter.'),
    privacy: privacySchema.optional().describe('Fields kept out of the sink: dropped, or stored only as keyed hashes (docs/spec.md, Student privacy).'),
  })
  .strict();

export const sinkSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('duckdb'),
      path: z
        .string()
        .min(1)
        .refine((p) => p !== ':memory:' && !p.startsWith(':'), 'is an in-memory database, whose rows are gone when the worker lets go of it: name a file')
        .refine((p) => !p.split(/[\\/]/).includes('..'), 'climbs out of its folder with "..": name a file below the data folder (LMS_EXPORT_DATA_DIR, or the working folder)')
        .refine((p) => !/^[A-Za-z][A-Za-z0-9+.-]+:/.test(p), 'names a database service or a remote file (md:, s3://, http://…), not a file on the worker: name a file below the data folder')
        .describe('DuckDB database file; created when missing. Relative to LMS_EXPORT_DATA_DIR on the worker when set (an absolute path must be inside it), else to the working folder.'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('postgres'),
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
        .superRefine(refusePostgresSecret)
        .optional()
        .describe('Connection URL without a password (trust, .pgpass or PGPASSWORD supply it).'),
      urlEnv: z.string().regex(envVarName, 'expected an environment variable name').optional().describe('Environment variable holding the connection URL.'),
      schema: z
        .string()
        .regex(identifier, 'expected a lowercase identifier')
        .refine((name) => !/^(pg_|information_schema$)/.test(name), 'is reserved by PostgreSQL (pg_catalog, pg_toast, pg_*, information_schema): choose another schema name')
        .default('public'),
    })
    .strict()
    .refine((s) => s.url !== undefined || s.urlEnv !== undefined, { message: 'needs url or urlEnv', path: ['url'] }),
]);

export const executionSchema = z
  .object({
    maxParallelResources: z.number().int().min(1).max(64).default(2).describe('Resources exported at once.'),
    pagesBeforeContinueAsNew: z
      .number()
      .int()
      .min(1)
      .default(2_000)
      .describe('Page budget per workflow run before continue-as-new (the server may suggest it sooner).'),
    activityTimeoutSeconds: z.number().int().min(1).max(3_600).default(120).describe('Per-attempt limit for one page fetch or persist.'),
    heartbeatTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(600)
      .default(10)
      .describe('How long an attempt may go without a heartbeat before the server retries it on another worker; every activity heartbeats about three times per this.'),
    workflowTaskTimeoutSeconds: z
      .number()
      .int()
      .min(2)
      .max(60)
      .default(5)
      .describe("How long one workflow task may take: a worker that dies holding one is replaced after this (the server's default is 10). Raise it only if replaying a run's history takes that long on your workers."),
    maxAttempts: z.number().int().min(1).max(1_000).default(10).describe('Attempts to persist a page before the resource fails.'),
    circuitBreaker: z
      .object({
        failures: z.number().int().min(1).max(100).default(5).describe('Attempts at one page (jittered backoff between them) before the circuit opens.'),
        coolDownSeconds: z.number().int().min(1).max(86_400).default(300).describe('How long an open circuit waits before one probe.'),
        maxOpenings: z.number().int().min(0).max(1_000).default(12).describe('Openings per traversal before the failure stands.'),
      })
      .strict()
      .default({ failures: 5, coolDownSeconds: 300, maxOpenings: 12 }),
  })
  .strict();

/** A parent must exist, must not be the resource itself or lead back to it, and the path must name its key. */
function checkParent(resources: Array<z.output<typeof resourceSchema>>, index: number, ctx: z.RefinementCtx): void {
  const resource = resources[index] as z.output<typeof resourceSchema>;
  const parent = resource.parent as NonNullable<typeof resource.parent>;
  const byName = new Map(resources.map((r) => [r.name, r]));
  const path = ['resources', index, 'parent', 'resource'];
  if (!byName.has(parent.resource)) {
    // Reading parents from the sink needs only their table, not their export in this run.
    if (parent.from === 'run') ctx.addIssue({ code: 'custom', path, message: `no resource named "${parent.resource}" in this spec (or set parent.from: "sink")` });
    return;
  }
  const seen = new Set([resource.name]);
  for (let at = byName.get(parent.resource); at !== undefined; at = at.parent === undefined ? undefined : byName.get(at.parent.resource)) {
    if (seen.has(at.name)) {
      ctx.addIssue({ code: 'custom', path, message: `parents form a cycle through "${at.name}"` });
      return;
    }
    seen.add(at.name);
  }
  if (!resource.path.includes(`{${parent.as}}`)) {
    ctx.addIssue({ code: 'custom', path: ['resources', index, 'path'], message: `needs the placeholder {${parent.as}} that parent.as names` });
  }
  if (resource.partitions !== undefined || resource.incremental !== undefined || resource.updateScan !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['resources', index, 'parent'], message: 'cannot be combined with partitions, incremental or updateScan (yet)' });
  }
}

export const notifySchema = z
  .object({
    webhookUrlEnv: z
      .string()
      .regex(envVarName, 'expected an environment variable name like LMS_ALERT_WEBHOOK')
      .describe('Environment variable holding the webhook URL (on the worker: a URL can hold a secret token).'),
    on: z
      .array(z.enum(['failed', 'incomplete']))
      .default(['failed', 'incomplete'])
      .describe('Run outcomes that call the webhook.'),
    quarantinedOver: z.number().int().min(0).optional().describe('Also call it when the run quarantined more than this many records.'),
  })
  .strict();

export const exportSpecSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a lowercase name like canvas-nightly (it names workflow ids)'),
    source: sourceSchema,
    resources: z.array(resourceSchema).min(1, 'needs at least one resource'),
    sink: sinkSchema,
    execution: executionSchema.optional(),
    notify: notifySchema.optional().describe('Alerts: a webhook called with a small JSON body when a run fails, ends incomplete, or quarantines too much.'),
    full: z
      .boolean()
      .default(false)
      .describe('Traverse every incremental resource from the beginning this run, ignoring its high-water mark (lms-export start --full).'),
  })
  .strict()
  .superRefine((spec, ctx) => {
    for (const issue of runSizeIssues(spec.resources)) ctx.addIssue({ code: 'custom', ...issue });
    const seen = new Set<string>();
    spec.resources.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: ['resources', i, 'name'], message: `duplicate resource name "${r.name}"` });
      seen.add(r.name);
      for (const collision of keyColumnCollisions(r.primaryKey)) ctx.addIssue({ code: 'custom', path: ['resources', i, 'primaryKey', collision.index], message: collision.message });
      if (r.partitions !== undefined) {
        const edfiTokens = spec.source.preset === 'edfi' && (r.pagination === undefined || r.pagination.type === 'token-header');
        const keysetRanges = r.pagination?.type === 'keyset' && r.pagination.fields.length === 1;
        if (!edfiTokens && !keysetRanges) {
          ctx.addIssue({ code: 'custom', path: ['resources', i, 'partitions'], message: 'needs preset edfi with its token-header paging, or keyset paging on one field' });
        } else if (keysetRanges && (r.partitions.idRange === undefined || r.partitions.upperParam === undefined)) {
          ctx.addIssue({ code: 'custom', path: ['resources', i, 'partitions', 'idRange'], message: 'keyset partitions need idRange and upperParam' });
        }
      }
      if (r.incremental !== undefined && r.updateScan?.sinceParam === undefined) {
        ctx.addIssue({ code: 'custom', path: ['resources', i, 'incremental'], message: "needs updateScan.sinceParam: the source's change filter an incremental run starts from" });
      }
      if (r.incremental !== undefined && r.partitions !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['resources', i, 'incremental'], message: 'cannot be combined with partitions' });
      }
      for (const conflict of privacyConflicts(spec.resources, i)) ctx.addIssue({ code: 'custom', path: ['resources', i, ...conflict.path], message: conflict.message });
      if (r.parent !== undefined) checkParent(spec.resources, i, ctx);
      else if (/\{[A-Za-z]/.test(r.path)) ctx.addIssue({ code: 'custom', path: ['resources', i, 'path'], message: 'has a {placeholder}: it needs a parent to fill it' });
      if (spec.source.preset === 'generic' && r.pagination === undefined) {
        ctx.addIssue({ code: 'custom', path: ['resources', i, 'pagination'], message: 'required for preset generic' });
      }
    });
  });

export type ExportSpecInput = z.input<typeof exportSpecSchema>;
export type ExportSpec = z.output<typeof exportSpecSchema>;
export type SourceConfig = z.output<typeof sourceSchema>;
export type ResourceConfig = z.output<typeof resourceSchema>;
export type PaginationConfig = z.output<typeof paginationSchema>;
export type SinkConfig = z.output<typeof sinkSchema>;
export type NotifyConfig = z.infer<typeof notifySchema>;
export type ExecutionConfig = z.output<typeof executionSchema>;
