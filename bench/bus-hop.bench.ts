import { dropBusNamespace } from '@parley/kit/testing';
import { withCpu } from './lib/cpu.ts';
import { serverEnv } from './lib/env.ts';
import { measure } from './lib/load.ts';
import { probeNats } from './lib/nats.ts';
import { startServer } from './lib/server-process.ts';
import type { Benchmark, BenchRow } from './lib/types.ts';

const LOAD = { connections: 32, warmupSeconds: 2, seconds: 8 };
/** After the loaded run: one connection, so latency is the path's own and not queueing behind 31 others. */
const LIGHT = { connections: 1, warmupSeconds: 0, seconds: 4 };
const PATH = '/api/v1/status/auth';
const LIMIT = 'direct';
const DEFAULT_NATS = 'nats://127.0.0.1:4222';

interface Case {
  name: string;
  script: string;
  /** NATS_URL for the server; undefined = in-process bus. */
  nats?: string;
  transport: 'memory' | 'nats';
}

/** One request before the load: the route answers, the database is up, and the read went over the expected transport. */
async function check(url: string, c: Case): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { service?: string; transport?: string; database?: { ok?: boolean } };
  if (res.status !== 200 || body.service !== 'auth' || body.database?.ok !== true || body.transport !== c.transport) {
    throw new Error(`${c.name}: unexpected answer from ${url}: ${res.status} ${JSON.stringify(body)}`);
  }
}

async function runCase(c: Case): Promise<BenchRow> {
  const env = serverEnv(c.nats ? { NATS_URL: c.nats } : {});
  const server = await startServer(c.script, env);
  try {
    const url = `${server.url}${PATH}`;
    await check(url, c);
    const { value: f, cpuPercent } = await withCpu(server.pid, () => measure(url, LOAD));
    const light = await measure(url, LIGHT);
    const figures = { 'req/s': f.reqPerSec, p50: f.p50Ms, p99: f.p99Ms, errors: f.failures, 'p50 c=1': light.p50Ms };
    return { case: c.name, figures: { ...figures, 'server CPU': cpuPercent } };
  } finally {
    await server.stop();
    await dropBusNamespace(env.NATS_URL, env.BUS_NAMESPACE as string);
  }
}

const benchmark: Benchmark = {
  name: 'bus-hop',
  description:
    'A small read (auth status: a ping of its database) answered directly by a Fastify route vs the same read through gateway → bus → service, on both transports.',
  async run() {
    const natsUrl = process.env.NATS_URL || DEFAULT_NATS;
    const nats = await probeNats(natsUrl);
    const cases: Case[] = [
      { name: LIMIT, script: 'direct.ts', transport: 'memory' },
      { name: 'gateway → in-process bus → auth', script: 'stack.ts', transport: 'memory' },
      { name: 'gateway → NATS → auth', script: 'stack.ts', nats: natsUrl, transport: 'nats' },
    ];
    const rows: BenchRow[] = [];
    for (const c of cases) {
      if (c.nats && !nats.ok) {
        console.log(`${c.name}: NOT RUN — ${nats.reason}`);
        rows.push({ case: c.name, figures: {}, skipped: nats.reason });
        continue;
      }
      console.log(
        `${c.name}: ${LOAD.warmupSeconds} s warm-up + ${LOAD.seconds} s measured + ${LIGHT.seconds} s on 1 connection…`,
      );
      rows.push(await runCase(c));
    }
    const limit = rows.find((r) => r.case === LIMIT)!.figures;
    for (const row of rows) {
      if (row.skipped) continue;
      row.figures['× direct'] = row.figures['req/s']! / limit['req/s']!;
      row.figures['+p50'] = row.figures.p50! - limit.p50!;
      row.figures['+p50 c=1'] = row.figures['p50 c=1']! - limit['p50 c=1']!;
    }
    return {
      columns: [
        { key: 'req/s', unit: 'req/s' },
        { key: 'p50', unit: 'ms' },
        { key: 'p99', unit: 'ms' },
        { key: 'errors', unit: 'count' },
        { key: '× direct', unit: 'x' },
        { key: '+p50', unit: 'ms', signed: true },
        { key: 'p50 c=1', unit: 'ms' },
        { key: '+p50 c=1', unit: 'ms', signed: true },
        { key: 'server CPU', unit: '%' },
      ],
      limit: LIMIT,
      rows,
      settings: {
        path: `GET ${PATH}`,
        connections: LOAD.connections,
        warmup: `${LOAD.warmupSeconds} s`,
        measured: `${LOAD.seconds} s`,
        'c=1': `then ${LIGHT.seconds} s on 1 connection`,
        errors: 'socket errors + timeouts + non-2xx (any fails the run)',
        '× direct': 'req/s ÷ direct req/s',
        '+p50': 'p50 − direct p50',
        'server CPU': 'server process, % of one core, warm-up + measured run',
        database: 'PGlite in memory',
        nats: nats.ok ? natsUrl : 'not reachable',
        servers: 'one child process per case; load generator (autocannon) in the runner',
      },
    };
  },
};

export default benchmark;
