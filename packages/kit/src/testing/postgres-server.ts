import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.ts';

const run = promisify(execFile);

/** How the server is stopped: `smart` waits for clients, `fast` ends their sessions, `immediate` is a crash. */
export type PostgresStopMode = 'smart' | 'fast' | 'immediate';

const STOP_SIGNALS: Record<PostgresStopMode, NodeJS.Signals> = { smart: 'SIGTERM', fast: 'SIGINT', immediate: 'SIGQUIT' };

export interface PostgresServerOptions {
  /** Default 200: a cluster of two copies of every service, 10 connections each, fits. */
  maxConnections?: number;
  /** More `-c name=value` settings. */
  settings?: Record<string, string | number>;
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth). */
  url: string;
  port: number;
  /** The postmaster's pid while it runs. */
  pid(): number | undefined;
  running(): boolean;
  /** Stops the server (default `fast`), keeping its data; resolves once it has exited. */
  stop(mode?: PostgresStopMode): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  restart(mode?: PostgresStopMode): Promise<void>;
  /** The server's recent log (stderr), for failure messages. */
  log(): string;
  /** Stops it and removes its data directory. */
  close(): Promise<void>;
}

const READY = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;
const LOG_KEEP = 64 * 1024;

/** The newest PostgreSQL's bin directory: Debian's /usr/lib/postgresql/<v>/bin, else wherever `initdb` is on PATH. */
const findBinDir = (): string => {
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(debian, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  throw new Error(
    'startPostgresServer: no PostgreSQL server binaries (initdb, postgres) in /usr/lib/postgresql/*/bin or on PATH',
  );
};

interface RunAs {
  uid?: number;
  gid?: number;
}

/**
 * initdb and postgres refuse to run as root: as root they run as the `postgres` user (like
 * `runuser -u postgres --`, but the postmaster stays our child, so a signal picks the shutdown mode).
 */
const runAs = async (): Promise<RunAs> => {
  if (process.getuid?.() !== 0) return {};
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new Error('startPostgresServer: running as root, but there is no `postgres` user to run the server as');
  }
};

// Servers still running when the process exits (a crashed test) are stopped rather than left behind.
const live = new Set<ChildProcess>();
const stopAllOnExit = (): void => {
  for (const child of live) child.kill('SIGQUIT');
};

/**
 * A private PostgreSQL server for one test: a fresh cluster in a temp directory, trust auth, on
 * 127.0.0.1 at a free port, its socket in that directory. Tests stop and start it to play an
 * outage; it never touches the machine's own cluster.
 */
export const startPostgresServer = async (options: PostgresServerOptions = {}): Promise<PostgresServer> => {
  const bin = findBinDir();
  const as = await runAs();
  const dir = await mkdtemp(join(tmpdir(), 'parley-pg-'));
  const dataDir = join(dir, 'data');
  if (as.uid !== undefined) await chown(dir, as.uid, as.gid!);
  try {
    await run(
      join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      { ...as, cwd: dir, timeout: 60_000 },
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    const output = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`startPostgresServer: initdb failed: ${(error as Error).message}\n${output}`, { cause: error });
  }

  const port = await freePort();
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    max_connections: options.maxConnections ?? 200,
    // A throwaway cluster: durability against an OS crash buys nothing here.
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    ...options.settings,
  };
  const args = ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];

  let child: ChildProcess | undefined;
  let log = '';
  const append = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-LOG_KEEP);
  };

  const isRunning = (proc: ChildProcess | undefined): proc is ChildProcess =>
    proc !== undefined && proc.exitCode === null && proc.signalCode === null;

  const start = async (): Promise<void> => {
    if (isRunning(child)) return;
    const proc = spawn(join(bin, 'postgres'), args, { ...as, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    live.add(proc);
    if (live.size === 1) process.on('exit', stopAllOnExit);
    proc.once('exit', () => {
      live.delete(proc);
      if (live.size === 0) process.off('exit', stopAllOnExit);
    });
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      const done = (): void => {
        clearTimeout(timer);
        proc.off('exit', onExit);
        proc.stderr?.off('data', watch);
      };
      const fail = (error: Error): void => {
        done();
        proc.kill('SIGQUIT');
        reject(new Error(`startPostgresServer: postgres on port ${port}: ${error.message}\n${log}`));
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
        fail(new Error(`exited (${signal ?? code}) before it was ready`));
      const watch = (chunk: Buffer): void => {
        seen = (seen + chunk.toString()).slice(-4096);
        if (seen.includes(READY)) {
          done();
          resolve();
        }
      };
      proc.once('error', fail);
      proc.once('exit', onExit);
      // Read to the end either way: a full pipe would stall the server.
      proc.stderr?.on('data', append);
      proc.stderr?.on('data', watch);
    });
  };

  const stop = async (mode: PostgresStopMode = 'fast'): Promise<void> => {
    const proc = child;
    if (!isRunning(proc)) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(STOP_SIGNALS[mode]);
    const timer = setTimeout(() => proc.kill('SIGQUIT'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  try {
    await start();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  let closed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    pid: () => (isRunning(child) ? child.pid : undefined),
    running: () => isRunning(child),
    stop,
    start: async () => {
      if (closed) throw new Error('startPostgresServer: start() after close()');
      await start();
    },
    restart: async (mode) => {
      await stop(mode);
      await start();
    },
    log: () => log,
    close: async () => {
      if (closed) return;
      closed = true;
      await stop('fast');
      await rm(dir, { recursive: true, force: true });
    },
  };
};
