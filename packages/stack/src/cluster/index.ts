import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServiceName, ServiceNames } from '@parley/contracts';
import { type NatsCluster, startNatsCluster } from './nats-cluster.ts';
import { listenPort } from './ports.ts';
import { type ProcessHandle, type RunFrom, serviceProcess } from './process.ts';

export { type NatsCluster, type NatsNode, natsServerBinary, startNatsCluster } from './nats-cluster.ts';
export type { ProcessHandle, RunFrom } from './process.ts';

export interface ClusterOptions {
  /** The Postgres every service uses (each keeps to its own schema). */
  databaseUrl: string;
  /** Bus namespace (subjects and streams); default `parley`. Tests give each cluster its own. */
  namespace?: string;
  natsNodes?: number;
  gateways?: number;
  /** Copies of every service (2), or per service. */
  copies?: number | Partial<Record<ServiceName, number>>;
  /** Ports of the gateways; default: free ports. */
  gatewayPorts?: number[];
  /** First NATS client port (the others follow); default: free ports. */
  natsPort?: number;
  /** Where NATS stores, mail outboxes and logs go; default a temp folder removed at stop. */
  dir?: string;
  /** More environment for every process (SMTP_URL, ADMIN_EMAILS, LOG_LEVEL, …); wins over the defaults. */
  env?: NodeJS.ProcessEnv;
  /** `source` (tsx) or `dist` (after `pnpm build`); default PARLEY_RUN_FROM, else source. */
  from?: RunFrom;
  /** Logs of every process into `<dir>/logs/<id>.log` (default) or inherited stdio. */
  logs?: 'files' | 'inherit';
}

export interface Cluster {
  readonly nats: NatsCluster;
  readonly gateways: readonly ProcessHandle[];
  readonly services: Readonly<Record<ServiceName, readonly ProcessHandle[]>>;
  /** The gateways' base URLs, `http://127.0.0.1:<port>`. */
  readonly urls: readonly string[];
  /** The environment every process got (without PORT). */
  readonly env: Readonly<NodeJS.ProcessEnv>;
  readonly dir: string;
  /** Every process: gateways and service copies. */
  processes(): ProcessHandle[];
  /** Stops the gateways, then the services (SIGTERM, drained), then NATS; removes a temp folder. */
  stop(): Promise<void>;
}

const copiesOf = (copies: ClusterOptions['copies'], name: ServiceName): number =>
  typeof copies === 'number' ? copies : (copies?.[name] ?? 2);

/**
 * Parley as a cluster on one machine: a NATS cluster with JetStream (streams replicated on every
 * node), several gateways and several copies of every service, each its own process, on one Postgres.
 * Resolves when every process answers /readyz.
 */
export const startCluster = async (options: ClusterOptions): Promise<Cluster> => {
  const ownDir = !options.dir;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'parley-cluster-')));
  const logs = options.logs ?? 'files';
  await mkdir(join(dir, 'logs'), { recursive: true });
  const from: RunFrom = options.from ?? (process.env.PARLEY_RUN_FROM === 'dist' ? 'dist' : 'source');
  const natsNodes = options.natsNodes ?? 3;

  const nats = await startNatsCluster({
    dir: join(dir, 'nats'),
    size: natsNodes,
    ...(options.natsPort ? { basePort: options.natsPort } : {}),
  });
  const gatewayPorts =
    options.gatewayPorts ?? (await Promise.all(Array.from({ length: options.gateways ?? 2 }, () => listenPort())));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: nats.url,
    DATABASE_URL: options.databaseUrl,
    BUS_NAMESPACE: options.namespace ?? 'parley',
    NATS_STREAM_REPLICAS: String(Math.min(3, natsNodes)),
    BLOB_STORE: 'nats',
    HOST: '127.0.0.1',
    DATA_DIR: join(dir, 'data'),
    PUBLIC_URL: `http://127.0.0.1:${gatewayPorts[0]}`,
    LOG_LEVEL: 'warn',
    // 10 service processes share one Postgres (100 connections by default): 5 each leaves room.
    DATABASE_POOL_MAX: '5',
    ...options.env,
  };
  delete env.PORT;

  const make = async (service: string, index: number, port?: number): Promise<ProcessHandle> =>
    serviceProcess({
      id: `${service}-${index + 1}`,
      service,
      port: port ?? (await listenPort()),
      env,
      from,
      ...(logs === 'files' ? { logFile: join(dir, 'logs', `${service}-${index + 1}.log`) } : {}),
    });

  const services = {} as Record<ServiceName, ProcessHandle[]>;
  for (const name of ServiceNames) {
    services[name] = await Promise.all(Array.from({ length: copiesOf(options.copies, name) }, (_, i) => make(name, i)));
  }
  const gateways = await Promise.all(gatewayPorts.map((port, i) => make('gateway', i, port)));
  const processes = (): ProcessHandle[] => [...gateways, ...Object.values(services).flat()];

  const stop = async (): Promise<void> => {
    await Promise.all(gateways.map((g) => g.stop()));
    await Promise.all(
      Object.values(services)
        .flat()
        .map((s) => s.stop()),
    );
    await nats.stop();
    if (ownDir) await rm(dir, { recursive: true, force: true });
  };

  try {
    // First copies one wave (each applies its migrations and creates its streams), then the rest.
    await Promise.all(ServiceNames.map((name) => services[name][0]?.start()));
    await Promise.all([...Object.values(services).flatMap((copies) => copies.slice(1)), ...gateways].map((p) => p.start()));
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  return {
    nats,
    gateways,
    services,
    urls: gateways.map((g) => g.url),
    env,
    dir,
    processes,
    stop,
  };
};

/** A namespace for one test's cluster, so it never meets another's subjects or streams. */
export const clusterNamespace = (): string => `c${randomUUID().slice(0, 8)}`;
