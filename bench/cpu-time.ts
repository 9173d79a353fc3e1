import { readdirSync, readFileSync } from 'node:fs';

/** CPU milliseconds spent so far (user + system) by the processes a bench runs on, grouped by what they are. */
export interface CpuTimes {
  /** This process: the bench's own code, the worker and the simulator when they run in it. */
  bench: number;
  /** Every `temporal` process (the dev server). */
  temporal: number;
  /** Every `postgres` process (the server and its backends). */
  postgres: number;
}

// /proc reports CPU time in USER_HZ clock ticks, which Linux fixes at 100 a second whatever the kernel's own HZ.
const TICKS_PER_SECOND = 100;

/** Reads /proc (Linux); elsewhere only this process's own time is known and the others stay 0. */
export function cpuTimes(): CpuTimes {
  const own = process.cpuUsage();
  const times: CpuTimes = { bench: (own.user + own.system) / 1000, temporal: 0, postgres: 0 };
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return times;
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces; the fields after it are space-separated.
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
      if (name === 'temporal') times.temporal += ms;
      else if (name === 'postgres') times.postgres += ms;
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return times;
}

/** What each group spent between two readings. */
export function cpuSpent(before: CpuTimes, after: CpuTimes): CpuTimes {
  return { bench: after.bench - before.bench, temporal: after.temporal - before.temporal, postgres: after.postgres - before.postgres };
}
