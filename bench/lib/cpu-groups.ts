import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { cpuSeconds } from './cpu.ts';

/**
 * The pids listening on TCP `port` on this machine (e.g. the NATS server the benchmark uses but did not
 * start), from /proc/net/tcp{,6} and each process's sockets. Read only; empty where /proc says nothing.
 */
export function listenerPids(port: number): number[] {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readOr(table).split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address ends with the port, st 0A is LISTEN, then the socket's inode.
      if (cols[1]?.endsWith(hex) && cols[3] === '0A' && cols[9]) inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return [];
  return processIds().filter((pid) => {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      return false;
    }
    return fds.some((fd) => {
      try {
        return inodes.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '');
      } catch {
        return false;
      }
    });
  });
}

/** The Postgres backends serving `database` (their title is `postgres: … <user> <database> <client> …`). */
export function postgresBackends(database: string): number[] {
  return processIds().filter((pid) => {
    const title = readOr(`/proc/${pid}/cmdline`).replaceAll('\0', ' ');
    return title.startsWith('postgres: ') && title.includes(` ${database} `);
  });
}

const processIds = (): number[] =>
  readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Busy and total jiffies of the whole machine, from the first line of /proc/stat. */
function machineTicks(): { busy: number; total: number } | undefined {
  const fields = readOr('/proc/stat').split('\n', 1)[0]?.trim().split(/\s+/).slice(1, 9).map(Number);
  if (!fields || fields.length < 8 || fields.some((n) => !Number.isFinite(n))) return undefined;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields as [number, ...number[]];
  const busy = user + nice! + system! + irq! + softirq! + steal!;
  return { busy, total: busy + idle! + iowait! };
}

/** CPU used per group over a span, in % of one core; `runner` is this process, `machine` every process on it. */
export type CpuFigures<K extends string> = Record<K | 'runner' | 'machine', number>;

/**
 * Starts metering the CPU of groups of processes (each group's pids looked up now and again at the end,
 * so processes that appear meanwhile count from zero; one that ends meanwhile is lost), of this process
 * and of the whole machine. `stop()` returns the figures (NaN where /proc could not tell).
 */
export function meterCpu<K extends string>(groups: Record<K, () => number[]>): { stop(): CpuFigures<K> } {
  const before = new Map<string, Map<number, number>>();
  for (const [name, find] of Object.entries<() => number[]>(groups)) {
    before.set(name, new Map(find().map((pid) => [pid, cpuSeconds(pid) ?? Number.NaN])));
  }
  const runner = process.cpuUsage();
  const machine = machineTicks();
  const started = performance.now();
  return {
    stop() {
      const wall = (performance.now() - started) / 1000;
      const percent = (seconds: number): number => (seconds / wall) * 100;
      const figures: Record<string, number> = {};
      for (const [name, find] of Object.entries<() => number[]>(groups)) {
        const start = before.get(name)!;
        const pids = new Set([...start.keys(), ...find()]);
        let used = 0;
        let seen = 0;
        for (const pid of pids) {
          const now = cpuSeconds(pid);
          if (now === undefined) continue;
          seen++;
          used += now - (start.get(pid) ?? 0);
        }
        figures[name] = seen === 0 ? Number.NaN : percent(used);
      }
      const ran = process.cpuUsage(runner);
      const now = machineTicks();
      const share = machine && now ? (now.busy - machine.busy) / (now.total - machine.total) : Number.NaN;
      return {
        ...figures,
        runner: percent((ran.user + ran.system) / 1e6),
        machine: share * availableParallelism() * 100,
      } as CpuFigures<K>;
    },
  };
}

/** What the machine spent beyond every metered group and the runner: other work on it (and the kernel's own). */
export const otherCpu = (figures: Record<string, number>): number =>
  Object.entries(figures).reduce(
    (left, [name, value]) => (name === 'machine' ? left : left - value),
    figures.machine ?? Number.NaN,
  );
