import type { Client } from '@temporalio/client';
import { MultiBar, type SingleBar } from 'cli-progress';
import { stringifyJson } from '../pagination/record-json';
import type { RunReport } from '../workflows/report';
import { waitForReport } from '../client/exports';
import { describeAmount, describeDetail, formatResourceLine } from './format-progress';
import type { LiveResource } from './live-progress';
import { exportStatus, type ExportStatus } from '../client/run-status';

/**
 * How a run's progress is shown while it goes: `bars` (a terminal: one live bar or counter per resource),
 * `lines` (a log or a pipe: one plain line per resource each poll), `json` (one JSON object per poll), or
 * `none` (only the report at the end).
 */
export type ProgressOutput = 'bars' | 'lines' | 'json' | 'none';

export interface WatchOptions {
  output: ProgressOutput;
  intervalMs: number;
  write?: (text: string) => void;
}

interface Renderer {
  show(status: ExportStatus): void;
  stop(): void;
}

function barsRenderer(): Renderer {
  const multibar = new MultiBar({
    clearOnComplete: false,
    hideCursor: true,
    barsize: 24,
    format: (options, params, payload: { name: string; amount: string; detail: string; counter: boolean }) => {
      const size = options.barsize ?? 24;
      const filled = Math.round(Math.min(1, params.progress) * size);
      const bar = payload.counter ? '' : ` [${'█'.repeat(filled)}${'░'.repeat(size - filled)}]`;
      return `${payload.name}${bar} ${payload.amount}${payload.detail === '' ? '' : ` | ${payload.detail}`}`;
    },
  });
  const bars = new Map<string, SingleBar>();
  return {
    show(status) {
      const now = Date.now();
      for (const r of status.resources) {
        const payload = { name: `${r.resource} (${r.phase})`, amount: describeAmount(r), detail: describeDetail(r, now, status.retrying[r.resource]), counter: r.progress === null };
        const total = r.progress?.total ?? 1;
        const value = r.progress?.done ?? 0;
        const bar = bars.get(r.resource);
        if (bar === undefined) bars.set(r.resource, multibar.create(total, value, payload));
        else {
          bar.setTotal(total);
          bar.update(value, payload);
        }
      }
    },
    stop: () => multibar.stop(),
  };
}

function linesRenderer(write: (text: string) => void): Renderer {
  return {
    show(status) {
      const now = Date.now();
      const lines = status.resources.map((r) => `  ${formatResourceLine(r, now, status.retrying[r.resource])}`);
      write(`${new Date(now).toISOString()} ${status.workflowId}: ${status.workflowStatus}${status.run.paused ? ' (paused)' : ''}, phase ${status.run.phase}\n${lines.join('\n')}`);
    },
    stop: () => undefined,
  };
}

function jsonRenderer(write: (text: string) => void): Renderer {
  return {
    show: (status) => write(stringifyJson({ kind: 'progress', at: new Date().toISOString(), ...status })),
    stop: () => undefined,
  };
}

/**
 * A traversal that is continuing as new is missing from the listing for a moment (its old run closed, its new one
 * not yet published): its last figures stand in, so a bar does not flicker back to nothing.
 */
function bridgeGaps(last: Map<string, LiveResource>, status: ExportStatus): ExportStatus {
  const resources = status.resources.map((r) => {
    const before = last.get(r.resource);
    const shown = r.records === null && before !== undefined && before.records !== null && before.phase === r.phase ? before : r;
    last.set(r.resource, shown);
    return shown;
  });
  return { ...status, resources };
}

/**
 * Follows a run until it ends, showing its progress every `intervalMs` (status.ts: one query, one listing),
 * and returns its report. Works on a run started elsewhere or long ago: it attaches to whatever is running.
 * A poll that fails (the server restarting) is skipped; the wait for the report rides such outages out.
 */
export async function watchRun(client: Client, workflowId: string, options: WatchOptions): Promise<RunReport> {
  const write = options.write ?? ((text: string) => console.log(text));
  const renderer = options.output === 'bars' ? barsRenderer() : options.output === 'lines' ? linesRenderer(write) : options.output === 'json' ? jsonRenderer(write) : undefined;
  const last = new Map<string, LiveResource>();
  let ended = false;
  const report = waitForReport(client.workflow.getHandle(workflowId), { log: (line) => console.error(line) }).finally(() => (ended = true));
  try {
    while (renderer !== undefined && !ended) {
      const status = await exportStatus(client, workflowId).catch(() => undefined);
      if (status !== undefined && !ended) renderer.show(bridgeGaps(last, status));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, options.intervalMs))), report.catch(() => undefined)]);
      clearTimeout(timer);
    }
    return await report;
  } finally {
    renderer?.stop();
  }
}

/** `bars` on a terminal, `lines` otherwise; `--json` asks for JSON lines (watch) or the report only (start --wait). */
export function progressOutput(json: boolean | undefined, jsonOutput: 'json' | 'none', isTTY: boolean | undefined): ProgressOutput {
  if (json) return jsonOutput;
  return isTTY ? 'bars' : 'lines';
}

/** `--interval <seconds>`: how often progress is polled and shown. */
export function intervalMsOf(text: string | undefined, output: ProgressOutput): number {
  if (text === undefined) return output === 'bars' ? 1_000 : 10_000;
  const seconds = Number(text);
  if (!(seconds > 0)) throw new Error(`--interval: expected a positive number of seconds, got "${text}"`);
  return seconds * 1000;
}
