import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DefaultPorts, ServiceNames } from '@parley/contracts';
import type { Logger } from '@parley/kit';

const processes = ['gateway', ...ServiceNames] as const;
const serverPath = (name: string): string => fileURLToPath(new URL(`../../../services/${name}/src/server.ts`, import.meta.url));

/**
 * Distributed mode from one command: each service its own process on the shared NATS
 * and Postgres (what `pnpm --filter @parley/<name> start` runs one at a time).
 * One copy each; start more copies of any service with its own command.
 */
export function superviseProcesses(logger: Logger): { stop(): Promise<void> } {
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  // Services listen for their ops endpoints on the ports after the gateway's (3001… by default).
  const base = Number(process.env.PORT || DefaultPorts.gateway);
  for (const [i, name] of processes.entries()) {
    const port = String(base + i);
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', serverPath(name)], {
      env: { ...process.env, PUBLIC_URL: process.env.PUBLIC_URL || `http://localhost:${base}`, PORT: port },
      stdio: 'inherit',
    });
    children.set(name, child);
    child.on('exit', (code, signal) => {
      children.delete(name);
      if (stopping) return;
      logger.error({ service: name, code, signal }, 'a service process ended; stopping the rest');
      process.exitCode = 1;
      void stop();
    });
  }
  const stop = async (): Promise<void> => {
    stopping = true;
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
  };
  return { stop };
}
