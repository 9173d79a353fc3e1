import { isIncomplete } from '../integrity/verdict';
import type { NotifyConfig } from '../spec/export-spec';
import type { RunReport } from './report';

/** What a webhook receives: who, what happened, the counts, where to look. No record values, no paths or queries. */
export interface RunAlert {
  spec: string;
  workflowId: string;
  runId: string;
  status: RunReport['status'];
  /** Why this run calls the webhook: `failed`, `incomplete`, `quarantined`. */
  reasons: string[];
  counts: { records: number; quarantined: number; failedResources: number; incompleteResources: number };
  resources: Array<{ resource: string; status: string; verdict?: string; error?: string }>;
}

/** The alert a finished run owes its webhook, or undefined when it owes none (a pure function of the report). */
export function alertFor(report: RunReport, notify: NotifyConfig): RunAlert | undefined {
  const quarantined = report.resources.reduce((sum, r) => sum + r.quarantined, 0);
  const reasons = [
    ...(report.status === 'failed' && notify.on.includes('failed') ? ['failed'] : []),
    ...(report.status === 'incomplete' && notify.on.includes('incomplete') ? ['incomplete'] : []),
    ...(notify.quarantinedOver !== undefined && quarantined > notify.quarantinedOver ? ['quarantined'] : []),
  ];
  if (reasons.length === 0) return undefined;
  return {
    spec: report.spec,
    workflowId: report.workflowId,
    runId: report.runId,
    status: report.status,
    reasons,
    counts: {
      records: report.resources.reduce((sum, r) => sum + r.recordsFetched, 0),
      quarantined,
      failedResources: report.resources.filter((r) => r.status === 'failed').length,
      incompleteResources: report.resources.filter((r) => isIncomplete(r.completeness?.verdict)).length,
    },
    resources: report.resources.map((r) => ({
      resource: r.resource,
      status: r.status,
      ...(r.completeness ? { verdict: r.completeness.verdict.slice(0, 300) } : {}),
      ...(r.error ? { error: r.error.slice(0, 300) } : {}),
    })),
  };
}
