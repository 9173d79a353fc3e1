import type { MetricTags } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/**
 * What an activity works on, as its logs and metrics name it: the spec, the resource and the source's host, and
 * for logs the page. Read from the activity's own input, so every log line of the attempt (the SDK's "Activity
 * failed" included) and every metric it emits say which export it belongs to. Only names, a host and a number:
 * never a URL, a cursor, a token or a record value (metric labels and log lines are read by more people than
 * the data is).
 */
export interface ActivityScope {
  spec?: string;
  resource?: string;
  sourceHost?: string;
  page?: number;
}

export function scopeOf(input: unknown): ActivityScope {
  if (typeof input !== 'object' || input === null) return {};
  const { spec, resource, source, pageNumber } = input as { spec?: unknown; resource?: unknown; source?: unknown; pageNumber?: unknown };
  const scope: ActivityScope = {};
  if (typeof spec === 'string') scope.spec = spec;
  const resourceName = typeof resource === 'string' ? resource : (resource as { name?: unknown } | undefined)?.name;
  if (typeof resourceName === 'string') scope.resource = resourceName;
  const baseUrl = (source as { baseUrl?: unknown } | undefined)?.baseUrl;
  if (typeof baseUrl === 'string' && URL.canParse(baseUrl)) scope.sourceHost = new URL(baseUrl).host;
  if (typeof pageNumber === 'number') scope.page = pageNumber;
  return scope;
}

/** The scope as metric labels (snake_case, as Prometheus names them); the page is left out: it would make a series per page. */
export function metricTagsOf(scope: ActivityScope): MetricTags {
  const tags: MetricTags = {};
  if (scope.spec !== undefined) tags['spec'] = scope.spec;
  if (scope.resource !== undefined) tags['resource'] = scope.resource;
  if (scope.sourceHost !== undefined) tags['source_host'] = scope.sourceHost;
  return tags;
}

/** Registered on every worker of the process (worker.ts, source-queue-pollers.ts). */
export const scopedActivities: ActivityInterceptorsFactory = () => {
  let scope: ActivityScope = {};
  return {
    inbound: {
      execute(input, next) {
        scope = scopeOf(input.args[0]);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes: (attributes, next) => next({ ...attributes, ...scope }),
      getMetricTags: (tags, next) => next({ ...tags, ...metricTagsOf(scope) }),
    },
  };
};
