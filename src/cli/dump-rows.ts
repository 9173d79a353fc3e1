import { once } from 'node:events';
import type { Sink } from '../sinks/sink';
import type { ReadRowsOptions } from '../sinks/stored-rows';
import { consumerLine } from './consumer-record';

/** Rows read per query: a dump of any size streams in key order with flat memory. */
const ROWS_PER_BATCH = 5_000;

/** `lms-export dump`: one JSON record per line on stdout, with the row's run columns (see consumer-record.ts). */
export async function dumpRows(sink: Sink, resource: string, options: ReadRowsOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  for (let after: string | null = null; ; ) {
    const batch = await sink.readRowsAfter(resource, after, ROWS_PER_BATCH, options);
    for (const row of batch) {
      if (!out.write(`${consumerLine(row)}\n`)) await once(out, 'drain');
    }
    const last = batch[batch.length - 1];
    if (last === undefined || batch.length < ROWS_PER_BATCH) return;
    after = last.key;
  }
}
