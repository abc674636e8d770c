import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  url: string;
  /** The other fields of the line that announced `url` (a server's `info`). */
  info: Record<string, unknown>;
  pid: number;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. Safe to call twice. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

// Last resort (an uncaught error, Ctrl-C): never leave a server behind.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

const exited = (child: ChildProcess, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

/** Runs `bench/servers/<script>` in its own Node process and waits (at most `startTimeoutMs`) for the URL it prints. */
export async function startServer(script: string, env: NodeJS.ProcessEnv, startTimeoutMs = 60_000): Promise<ServerProcess> {
  const file = fileURLToPath(new URL(`../servers/${script}`, import.meta.url));
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', file], {
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (await exited(child, 10_000)) return;
    child.kill('SIGKILL');
    await exited(child, 5_000);
  };

  const lines = createInterface({ input: child.stdout! });
  try {
    const announced = await new Promise<Record<string, unknown> & { url: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script} printed no URL within ${startTimeoutMs} ms`)), startTimeoutMs);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited (${signal ?? `code ${code}`}) before printing its URL`));
      });
      lines.on('line', (line) => {
        const parsed = parseUrlLine(line);
        if (parsed) {
          clearTimeout(timer);
          resolve(parsed);
        }
      });
    });
    const { url, ...info } = announced;
    return { url, info, pid: child.pid!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

const parseUrlLine = (line: string): (Record<string, unknown> & { url: string }) | undefined => {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as Record<string, unknown>;
    return typeof value.url === 'string' ? (value as Record<string, unknown> & { url: string }) : undefined;
  } catch {
    return undefined;
  }
};
