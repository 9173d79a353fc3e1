import type { SourceConfig } from '../spec/export-spec';

/** How hard a source may be hit when its spec does not say: what the system is known to take without complaint. */
export interface PresetRequestBudget {
  requestsPerSecond: number;
  concurrentRequestsPerWorker: number;
}

/**
 * Each preset's request budget, as a table of its own: workflows derive a source's request queue and budget from
 * it, and importing the presets themselves would bring their paging strategies, record schemas and parsers
 * into the workflow bundle.
 */
export const PRESET_REQUEST_BUDGETS: Record<SourceConfig['preset'], PresetRequestBudget> = {
  // Canvas states its own budget on every answer and the pacer follows it, so the ceiling is only a backstop
  // against a runaway; 10 at once lets per-course fan-outs overlap their latency.
  canvas: { requestsPerSecond: 50, concurrentRequestsPerWorker: 10 },
  // ODS/API hosts are district servers shared with SIS sync jobs: parallel partitions, a modest ceiling.
  edfi: { requestsPerSecond: 20, concurrentRequestsPerWorker: 8 },
  // OneRoster is often served by multi-tenant rostering hubs that throttle each district's key.
  oneroster: { requestsPerSecond: 10, concurrentRequestsPerWorker: 4 },
  // Blackboard Learn counts REST calls against each application's rate limit and quota: spend it slowly.
  blackboard: { requestsPerSecond: 10, concurrentRequestsPerWorker: 4 },
  // Moodle web services run inside the PHP site itself; every call competes with students' page loads.
  moodle: { requestsPerSecond: 5, concurrentRequestsPerWorker: 4 },
  // An unknown API: polite until the spec says it can take more.
  generic: { requestsPerSecond: 10, concurrentRequestsPerWorker: 4 },
};
