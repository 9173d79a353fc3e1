import { ApplicationFailure } from '@temporalio/activity';
import { request } from 'undici';
import type { NotifyConfig } from '../spec/export-spec';
import { temporalNamespace, temporalUiUrl, workflowPageUrl } from '../client/settings';
import type { RunAlert } from '../workflows/alert';
import { FailureType } from '../failures';

const WEBHOOK_TIMEOUT_MS = 10_000;

/** The Web UI page of a run, where the worker knows the UI (`TEMPORAL_UI_URL`). */
function webUiLink(alert: RunAlert, env: NodeJS.ProcessEnv): string | null {
  const ui = temporalUiUrl(env);
  return ui === undefined ? null : workflowPageUrl(ui, temporalNamespace(env), alert.workflowId, alert.runId);
}

/**
 * POSTs a run's alert to the spec's webhook, whose URL the worker reads from `notify.webhookUrlEnv`. A failed
 * delivery is retried by the activity's policy; an unset variable or a URL that is not one fails at once.
 */
export async function notifyWebhook(input: { notify: NotifyConfig; alert: RunAlert }, env: NodeJS.ProcessEnv = process.env): Promise<{ status: number }> {
  const name = input.notify.webhookUrlEnv;
  const url = env[name];
  if (url === undefined || url === '') throw ApplicationFailure.nonRetryable(`notify.webhookUrlEnv: environment variable ${name} is not set on this worker`, FailureType.NotifyMisconfigured);
  if (!/^https?:\/\//.test(url)) throw ApplicationFailure.nonRetryable(`notify.webhookUrlEnv: ${name} does not hold an http(s) URL`, FailureType.NotifyMisconfigured);
  const body = JSON.stringify({ ...input.alert, webUi: webUiLink(input.alert, env) });
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'lms-export' },
    body,
    headersTimeout: WEBHOOK_TIMEOUT_MS,
    bodyTimeout: WEBHOOK_TIMEOUT_MS,
  });
  await response.body.dump();
  // The URL may carry a token (Slack, Teams): messages name the variable, never the URL.
  if (response.statusCode >= 300) throw ApplicationFailure.retryable(`the webhook in ${name} answered ${response.statusCode}`, FailureType.NotifyRefused);
  return { status: response.statusCode };
}
