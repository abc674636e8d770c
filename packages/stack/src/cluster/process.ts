import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** How service processes run: from source through tsx (what `pnpm start` does), or the built `dist/server.js`. */
export type RunFrom = 'source' | 'dist';

export const serverCommand = (name: string, from: RunFrom): string[] => {
  if (from === 'dist') {
    const built = join(repoRoot, 'services', name, 'dist', 'server.js');
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`pnpm build\` first, or run from source`);
    return [built];
  }
  return ['--conditions=source', '--import', 'tsx', join(repoRoot, 'services', name, 'src', 'server.ts')];
};

export interface ProcessHandle {
  /** `gateway-1`, `auth-2`, … */
  readonly id: string;
  /** The service: `gateway`, `auth`, … */
  readonly service: string;
  /** Its HTTP port (the API for a gateway; /healthz, /readyz and /metrics for every process). */
  readonly port: number;
  readonly url: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Times it was started (1 after the first start): a fault test checks nothing restarted behind its back. */
  readonly starts: number;
  /** SIGKILL by default: a crash, no goodbye. Resolves when the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it (again) with the same port and environment; resolves when /readyz answers 200. */
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface ProcessOptions {
  id: string;
  service: string;
  port: number;
  env: NodeJS.ProcessEnv;
  from: RunFrom;
  /** Where its stdout and stderr go (appended across restarts); undefined = inherited. */
  logFile?: string;
  readyTimeoutMs?: number;
}

/** The last lines of a log, to explain a process that would not start (the folder may be gone by the time anyone looks). */
const tail = async (file: string | undefined, lines = 25): Promise<string> => {
  if (!file) return '';
  await sleep(200);
  const text = await readFile(file, 'utf8').catch(() => '');
  return text ? `\n--- last lines of ${file}:\n${text.trimEnd().split('\n').slice(-lines).join('\n')}` : '';
};

/** One service process of the cluster, started and restarted on the same port. */
export const serviceProcess = (options: ProcessOptions): ProcessHandle => {
  const url = `http://127.0.0.1:${options.port}`;
  let child: ChildProcess | undefined;
  let starts = 0;
  const alive = (c: ChildProcess | undefined): c is ChildProcess => !!c && c.exitCode === null && c.signalCode === null;

  const end = async (signal: NodeJS.Signals, graceMs = 15_000): Promise<void> => {
    const proc = child;
    if (!alive(proc)) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  const handle: ProcessHandle = {
    id: options.id,
    service: options.service,
    port: options.port,
    url,
    get pid() {
      return alive(child) ? child.pid : undefined;
    },
    get running() {
      return alive(child);
    },
    get starts() {
      return starts;
    },
    kill: (signal: NodeJS.Signals = 'SIGKILL') => end(signal),
    stop: (graceMs?: number) => end('SIGTERM', graceMs),
    start: async () => {
      if (alive(child)) return;
      const log: WriteStream | undefined = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
      const proc = spawn(process.execPath, serverCommand(options.service, options.from), {
        cwd: repoRoot,
        env: { ...options.env, PORT: String(options.port) },
        stdio: log ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      });
      if (log) {
        proc.stdout?.pipe(log, { end: false });
        proc.stderr?.pipe(log, { end: false });
      }
      child = proc;
      starts += 1;
      let exited: string | undefined;
      proc.once('exit', (code, signal) => {
        log?.end();
        exited = `${options.id} exited (${signal ?? code}) before it was ready${options.logFile ? `; see ${options.logFile}` : ''}`;
      });
      const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
      for (;;) {
        if (exited) throw new Error(`${exited}${await tail(options.logFile)}`);
        try {
          const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
          if (res.status === 200) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) {
          await end('SIGKILL');
          throw new Error(`${options.id} was not ready within ${options.readyTimeoutMs ?? 90_000} ms`);
        }
        await sleep(150);
      }
    },
  };
  return handle;
};
