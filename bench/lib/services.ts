import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '@parley/kit/testing';

export interface ServiceProcess {
  name: string;
  pid: number;
  /** http://127.0.0.1:<port> */
  url: string;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * `services/<name>/src/server.ts` in its own Node process, as production runs it (its own port,
 * `PORT` from `env` or a free one), ready once its `/healthz` answers 200 (at most `startTimeoutMs`).
 */
export async function startService(name: string, env: NodeJS.ProcessEnv, startTimeoutMs = 60_000): Promise<ServiceProcess> {
  const port = env.PORT && env.PORT !== '0' ? Number(env.PORT) : await freePort();
  const file = fileURLToPath(new URL(`../../services/${name}/src/server.ts`, import.meta.url));
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', file], {
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The last words of a process that fails to start say why.
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  process.once('exit', () => child.kill('SIGKILL'));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited (code ${child.exitCode}) while starting:\n${tail}`);
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return { name, pid: child.pid as number, url, stop };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`${name} did not answer /healthz within ${startTimeoutMs} ms:\n${tail}`);
}

const MiB = 1024 * 1024;

/** VmRSS of a process in bytes, from /proc (NaN where there is none). */
export const rssOf = (pid: number): number => {
  try {
    const kib = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? Number.NaN : Number(kib) * 1024;
  } catch {
    return Number.NaN;
  }
};

export interface RssFigures {
  peakMiB: number;
  /** Peak minus the RSS when sampling started. */
  growthMiB: number;
}

export interface RssSampler {
  /** Stops sampling; the figures per pid, in the order given. Calling it again returns the same. */
  stop(): RssFigures[];
}

/** Samples the RSS of each pid every `everyMs` until stopped. */
export const sampleRss = (pids: number[], everyMs = 50): RssSampler => {
  const baseline = pids.map(rssOf);
  const peak = [...baseline];
  const sample = (): void => {
    pids.forEach((pid, i) => {
      peak[i] = Math.max(peak[i] as number, rssOf(pid));
    });
  };
  const timer = setInterval(sample, everyMs);
  let figures: RssFigures[] | undefined;
  return {
    stop() {
      if (!figures) {
        clearInterval(timer);
        sample();
        figures = pids.map((_, i) => ({
          peakMiB: (peak[i] as number) / MiB,
          growthMiB: ((peak[i] as number) - (baseline[i] as number)) / MiB,
        }));
      }
      return figures;
    },
  };
};
