import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { listenPort } from './ports.ts';

/** The nats-server binary: NATS_SERVER_BIN, else the Debian package's, else the one on PATH. */
export const natsServerBinary = (): string => {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  for (const candidate of ['/usr/sbin/nats-server', '/usr/local/bin/nats-server', '/usr/bin/nats-server']) {
    if (existsSync(candidate)) return candidate;
  }
  return 'nats-server';
};

export interface NatsNode {
  readonly name: string;
  /** Client URL, `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly monitorUrl: string;
  readonly running: boolean;
  /** Ends the node (SIGKILL by default: a crash). Its JetStream store stays on disk. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports and store; resolves when it serves clients. */
  start(): Promise<void>;
}

export interface NatsCluster {
  readonly nodes: readonly NatsNode[];
  /** Every node's client URL, comma-separated: what NATS_URL gets, so clients fail over. */
  readonly url: string;
  /** Resolves when every running node reports JetStream healthy (a meta leader is elected and the node is current). */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface NatsClusterOptions {
  /** Folder for the nodes' JetStream stores and logs. */
  dir: string;
  size?: number;
  /** First client port; the others follow. Default: free ports. */
  basePort?: number;
}

/** JetStream healthy on this node and a meta leader elected (without one, stream and consumer calls time out). */
const healthy = async (monitorUrl: string): Promise<boolean> => {
  try {
    const res = await fetch(`${monitorUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
    if (res.status !== 200) return false;
    const jsz = (await (await fetch(`${monitorUrl}/jsz`, { signal: AbortSignal.timeout(1_000) })).json()) as {
      meta_cluster?: { leader?: string };
    };
    return Boolean(jsz.meta_cluster?.leader);
  } catch {
    return false;
  }
};

/**
 * A NATS cluster on this machine: `size` nats-server processes routed to each other, JetStream
 * on every node with its own store, one cluster name. Used by `pnpm cluster` and the fault tests.
 */
export const startNatsCluster = async (options: NatsClusterOptions): Promise<NatsCluster> => {
  const size = options.size ?? 3;
  const binary = natsServerBinary();
  const ports = await Promise.all(
    Array.from({ length: size }, async (_, i) => ({
      client: options.basePort ? options.basePort + i : await listenPort(),
      route: await listenPort(),
      monitor: await listenPort(),
    })),
  );
  const routes = ports.map((p) => `nats://127.0.0.1:${p.route}`).join(',');

  const nodes = ports.map((p, i): NatsNode & { stopGently(): Promise<void> } => {
    const name = `n${i + 1}`;
    const store = join(options.dir, name);
    let child: ChildProcess | undefined;
    const alive = (c: ChildProcess | undefined): c is ChildProcess => !!c && c.exitCode === null && c.signalCode === null;
    const end = async (signal: NodeJS.Signals): Promise<void> => {
      const proc = child;
      child = undefined;
      if (!alive(proc)) return;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    };
    const node = {
      name,
      url: `nats://127.0.0.1:${p.client}`,
      monitorUrl: `http://127.0.0.1:${p.monitor}`,
      get running() {
        return alive(child);
      },
      kill: (signal: NodeJS.Signals = 'SIGKILL') => end(signal),
      stopGently: () => end('SIGTERM'),
      start: async () => {
        if (alive(child)) return;
        await mkdir(store, { recursive: true });
        const args = [
          ...['-a', '127.0.0.1', '-p', String(p.client), '-m', String(p.monitor), '-n', name],
          ...['-js', '-sd', store, '--cluster_name', 'parley'],
          ...['--cluster', `nats://127.0.0.1:${p.route}`, '--routes', routes],
          ...['-l', join(options.dir, `${name}.log`)],
        ];
        const proc = spawn(binary, args, { stdio: 'ignore' });
        child = proc;
        const failed = new Promise<never>((_, reject) => {
          proc.once('error', reject);
          proc.once('exit', (code) => {
            const log = join(options.dir, `${name}.log`);
            const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
            reject(new Error(`nats-server ${name} exited (${code}); ${log} ends:\n${tail}`));
          });
        });
        failed.catch(() => {});
        // Serving clients = the monitor answers (it starts with the client listener).
        const deadline = Date.now() + 15_000;
        for (;;) {
          const up = await Promise.race([
            fetch(`${node.monitorUrl}/varz`, { signal: AbortSignal.timeout(500) }).then(
              (r) => r.ok,
              () => false,
            ),
            failed,
          ]);
          if (up) return;
          if (Date.now() > deadline) throw new Error(`nats-server ${name} did not start within 15 s`);
          await sleep(100);
        }
      },
    };
    return node;
  });

  const cluster: NatsCluster = {
    nodes,
    url: nodes.map((n) => n.url).join(','),
    waitHealthy: async (timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const states = await Promise.all(nodes.filter((n) => n.running).map((n) => healthy(n.monitorUrl)));
        if (states.length > 0 && states.every(Boolean)) return;
        if (Date.now() > deadline) throw new Error(`NATS cluster not healthy within ${timeoutMs} ms`);
        await sleep(200);
      }
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stopGently()));
    },
  };
  try {
    await Promise.all(nodes.map((n) => n.start()));
    await cluster.waitHealthy();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
};
