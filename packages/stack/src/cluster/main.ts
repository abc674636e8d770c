/**
 * `pnpm cluster`: Parley as a cluster on this machine — a 3-node NATS cluster with JetStream
 * (streams ×3), 2 gateways and 2 copies of every service, each its own process, on the real Postgres.
 * Ctrl-C stops it all (gateways first, then the services, then NATS).
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/parley, created when missing),
 * PORT (first gateway, default 3000; the second is PORT+1), NATS_PORT (first NATS node, default 4250),
 * GATEWAYS, COPIES, PARLEY_RUN_FROM=dist (run the built services), DATA_DIR (./data: logs and NATS
 * stores go to DATA_DIR/cluster). Anything else (SMTP_URL, ADMIN_EMAILS, LOG_LEVEL, …) reaches every process.
 */
import { join } from 'node:path';
import postgres from 'postgres';
import { startCluster } from './index.ts';

const intOf = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`cluster: ${name} must be a positive integer (got ${JSON.stringify(raw)})\n`);
    process.exit(1);
  }
  return n;
};

const DEFAULT_DATABASE = 'postgres://postgres@127.0.0.1:5432/parley';

/** The default database is created on first use; a given DATABASE_URL must exist. */
const ensureDatabase = async (url: string): Promise<void> => {
  if (url !== DEFAULT_DATABASE) return;
  const admin = postgres(url.replace(/\/parley$/, '/postgres'), { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    const found = await admin`select 1 from pg_database where datname = 'parley'`;
    if (found.length === 0) await admin.unsafe('create database parley');
  } finally {
    await admin.end({ timeout: 2 });
  }
};

const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE;
const port = intOf('PORT', 3000);
const gateways = intOf('GATEWAYS', 2);
const copies = intOf('COPIES', 2);
const dir = join(process.env.DATA_DIR || './data', 'cluster');

try {
  await ensureDatabase(databaseUrl);
} catch (err) {
  process.stderr.write(`cluster: cannot reach Postgres at ${databaseUrl}: ${(err as Error).message}\n`);
  process.exit(1);
}

process.stdout.write(`cluster: starting 3 NATS nodes, ${gateways} gateways, ${copies} copies of every service…\n`);
const started = performance.now();
const env: NodeJS.ProcessEnv = { LOG_LEVEL: process.env.LOG_LEVEL || 'info' };
let cluster: Awaited<ReturnType<typeof startCluster>>;
try {
  cluster = await startCluster({
    databaseUrl,
    dir,
    gateways,
    copies,
    gatewayPorts: Array.from({ length: gateways }, (_, i) => port + i),
    natsPort: intOf('NATS_PORT', 4250),
    env,
  });
} catch (err) {
  process.stderr.write(`cluster: failed to start: ${(err as Error).message}\n`);
  process.exit(1);
}

const rows = [
  ...cluster.nats.nodes.map((n) => `  nats ${n.name.padEnd(14)} ${n.url}  (monitor ${n.monitorUrl})`),
  ...cluster.processes().map((p) => `  ${p.id.padEnd(19)} ${p.url}  pid ${p.pid}`),
];
process.stdout.write(
  [
    `cluster: up in ${((performance.now() - started) / 1000).toFixed(1)} s — API at ${cluster.urls.join(' and ')}`,
    ...rows,
    `  logs in ${join(dir, 'logs')}; Postgres ${databaseUrl.replace(/:[^:@/]*@/, ':***@')}; Ctrl-C stops everything`,
    '',
  ].join('\n'),
);

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`cluster: ${signal}: stopping gateways, services, then NATS…\n`);
  await cluster.stop();
  process.stdout.write('cluster: stopped\n');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

// A process that dies on its own is reported (a fault test kills them on purpose; here nobody should).
const reported = new Set<string>();
setInterval(() => {
  for (const p of cluster.processes()) {
    if (p.running || stopping || reported.has(p.id)) continue;
    reported.add(p.id);
    process.stderr.write(`cluster: ${p.id} has stopped; see ${join(dir, 'logs', `${p.id}.log`)}\n`);
  }
}, 2_000).unref();
