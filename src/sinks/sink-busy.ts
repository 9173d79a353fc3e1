/**
 * DuckDB lets one process at a time open a database file. When another holds it, DuckDB's error names that
 * process (`Conflicting lock is held in /usr/bin/node (PID 1234)`): we say the same in the operator's words.
 */
export class SinkBusyError extends Error {
  constructor(
    readonly path: string,
    readonly holderPid: number | null,
  ) {
    const holder = holderPid === null ? 'another process' : `process ${holderPid}`;
    super(`sink ${path} is in use by ${holder} (a running worker?): stop it or wait for it to go idle, then retry`);
    this.name = 'SinkBusyError';
  }
}

/** Whether DuckDB refused to open a file because another process holds its lock; and which process, if it says. */
export function lockHolderOf(error: unknown): { pid: number | null } | undefined {
  const message = error instanceof Error ? error.message : String(error);
  if (!/Could not set lock on file/i.test(message)) return undefined;
  const pid = /\(PID (\d+)\)/.exec(message)?.[1];
  return { pid: pid === undefined ? null : Number(pid) };
}
