import { openSink, readerBusyWaitMs } from '../sinks/open-sink';
import type { Sink } from '../sinks/sink';
import type { SinkConfig } from '../spec/export-spec';
import { stringifyJson } from '../pagination/record-json';

/** A verb's answer: JSON when asked for (`--json`), else the text an operator reads. */
export function print(json: boolean | undefined, value: unknown, text: string): void {
  // Records may hold integers beyond 2^53 (bigint): stringifyJson writes their digits.
  console.log(json ? stringifyJson(value, 2) : text);
}

/**
 * Opens the spec's sink for one command and closes it whatever happens. A DuckDB file a worker holds is waited
 * for briefly (an idle worker lets go of it within seconds), then refused naming the process that holds it.
 */
export async function withSink(config: SinkConfig, work: (sink: Sink) => Promise<void>): Promise<void> {
  const sink = await openSink(config, { busyWaitMs: readerBusyWaitMs() });
  try {
    await work(sink);
  } finally {
    await sink.close();
  }
}
