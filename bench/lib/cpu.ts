import { readFileSync } from 'node:fs';

/** CPU seconds (user + system) a process has used so far, from /proc; undefined where there is no /proc. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at index 2; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / 100 : undefined; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** Runs `work` and reports how much of one core process `pid` used meanwhile, in % (NaN when unknown). */
export async function withCpu<T>(pid: number, work: () => Promise<T>): Promise<{ value: T; cpuPercent: number }> {
  const before = cpuSeconds(pid);
  const started = performance.now();
  const value = await work();
  const after = cpuSeconds(pid);
  const wall = (performance.now() - started) / 1000;
  return { value, cpuPercent: before === undefined || after === undefined ? Number.NaN : ((after - before) / wall) * 100 };
}
