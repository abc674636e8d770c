import { createTestDatabaseUrl, dropBusNamespace, startSmtpCapture } from '../packages/kit/src/testing/index.ts';
import { listenerPids, meterCpu, otherCpu, postgresBackends } from './lib/cpu-groups.ts';
import { serverEnv } from './lib/env.ts';
import { type LoadOptions, measure } from './lib/load.ts';
import { probeNats } from './lib/nats.ts';
import { checkRoomsRead, type Reader, ROOMS, ROOMS_PATH, seedReader, transportOf } from './lib/rooms-read.ts';
import { medianRound } from './lib/rounds.ts';
import { type ServerProcess, startServer } from './lib/server-process.ts';
import type { Benchmark, BenchRow } from './lib/types.ts';

const LOAD = { connections: 32, warmupSeconds: 2, seconds: 8 };
/** After the loaded run: one connection, so latency is the path's own and not queueing behind 31 others. */
const LIGHT = { connections: 1, warmupSeconds: 0, seconds: 4 };
const LIMIT = 'direct Fastify route';
const POSTGRES = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS = process.env.NATS_URL || 'nats://127.0.0.1:4222';

/**
 * Every case runs once per round and the table shows its median round: on a small machine, runs of the
 * same case differ by up to a fifth from one to the next.
 */
const ROUNDS = 3;
const IN_PROCESS = 'gateway → in-process bus → chat-notify';
const OVER_NATS = 'gateway → NATS → chat-notify';

/** A running bench/servers/direct.ts with its seeded reader and the name of its database. */
interface Served {
  server: ServerProcess;
  reader: Reader;
  database: string;
}

interface Case {
  name: string;
  served: Served;
  /** Where the read is sent: the direct listener or the stack's gateway. */
  base: string;
}

/** bench/servers/direct.ts on a fresh database (and namespace), the reader seeded through its gateway. */
async function withServer<T>(nats: string | undefined, work: (served: Served) => Promise<T>): Promise<T> {
  const smtp = await startSmtpCapture();
  const cleanups: (() => Promise<void>)[] = [() => smtp.close()];
  try {
    const db = await createTestDatabaseUrl(POSTGRES);
    cleanups.push(() => db.drop());
    const env = serverEnv({ DATABASE_URL: db.url, SMTP_URL: smtp.url, ...(nats ? { NATS_URL: nats } : {}) });
    cleanups.push(() => dropBusNamespace(nats, env.BUS_NAMESPACE as string));
    const server = await startServer('direct.ts', env, 120_000);
    cleanups.push(() => server.stop());
    const gateway = server.info.gateway as string;
    const transport = await transportOf(gateway, 'chat-notify');
    if (transport !== (nats ? 'nats' : 'memory'))
      throw new Error(`chat-notify answers over ${transport}, not ${nats ?? 'memory'}`);
    const reader = await seedReader(gateway, smtp);
    return await work({ server, reader, database: new URL(db.url as string).pathname.slice(1) });
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: Error) => console.error(`cleanup: ${err.message}`));
  }
}

async function measureCase({ name, served, base }: Case): Promise<BenchRow> {
  const { server, reader, database } = served;
  const url = `${base}${ROOMS_PATH}`;
  await checkRoomsRead(base, reader);
  console.log(`${name}: ${LOAD.warmupSeconds} s warm-up + ${LOAD.seconds} s measured + ${LIGHT.seconds} s on 1 connection…`);
  const options = (o: LoadOptions): LoadOptions => ({ ...o, headers: reader.headers });
  await measure(url, options({ ...LOAD, seconds: LOAD.warmupSeconds, warmupSeconds: 0 }));
  const natsPort = Number(new URL(NATS.split(',')[0]!).port || 4222);
  const cpu = meterCpu({
    server: () => [server.pid],
    postgres: () => postgresBackends(database),
    nats: () => listenerPids(natsPort),
  });
  const f = await measure(url, options({ ...LOAD, warmupSeconds: 0 }));
  const used = cpu.stop();
  const light = await measure(url, options(LIGHT));
  return {
    case: name,
    figures: {
      'req/s': f.reqPerSec,
      p50: f.p50Ms,
      p99: f.p99Ms,
      errors: f.failures,
      'p50 c=1': light.p50Ms,
      'server CPU': used.server,
      'postgres CPU': used.postgres,
      'NATS CPU': used.nats,
      'autocannon CPU': used.runner,
      'machine CPU': used.machine,
      'other CPU': otherCpu(used),
    },
  };
}

/** `ROUNDS` rounds of every case, in turn; each case's median round. */
async function measureRounds(cases: Case[]): Promise<BenchRow[]> {
  const rounds = new Map<string, BenchRow[]>(cases.map((c) => [c.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`round ${round} of ${ROUNDS}`);
    for (const c of cases) rounds.get(c.name)!.push(await measureCase(c));
  }
  return cases.map((c) => medianRound(rounds.get(c.name)!, 'req/s'));
}

const benchmark: Benchmark = {
  name: 'bus-hop',
  description: `The same authenticated read (GET ${ROOMS_PATH}: the reader's ${ROOMS} rooms from chat-notify's database) answered directly by a Fastify route in the service's process vs through gateway → bus → chat-notify, on both transports.`,
  async run() {
    const nats = await probeNats(NATS);
    // Both servers up at once, so every round measures every case; the one not measured idles.
    const rows = await withServer(undefined, async (memory) => {
      const local: Case[] = [
        { name: LIMIT, served: memory, base: memory.server.url },
        { name: IN_PROCESS, served: memory, base: memory.server.info.gateway as string },
      ];
      if (!nats.ok) {
        console.log(`${OVER_NATS}: NOT RUN — ${nats.reason}`);
        return [...(await measureRounds(local)), { case: OVER_NATS, figures: {}, skipped: nats.reason }];
      }
      return withServer(NATS, (remote) =>
        measureRounds([...local, { name: OVER_NATS, served: remote, base: remote.server.info.gateway as string }]),
      );
    });

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
        { key: 'req/s min', unit: 'req/s' },
        { key: 'req/s max', unit: 'req/s' },
        { key: 'p50', unit: 'ms' },
        { key: 'p99', unit: 'ms' },
        { key: 'errors', unit: 'count' },
        { key: '× direct', unit: 'x' },
        { key: '+p50', unit: 'ms', signed: true },
        { key: 'p50 c=1', unit: 'ms' },
        { key: '+p50 c=1', unit: 'ms', signed: true },
        { key: 'server CPU', unit: '%' },
        { key: 'postgres CPU', unit: '%' },
        { key: 'NATS CPU', unit: '%' },
        { key: 'autocannon CPU', unit: '%' },
        { key: 'machine CPU', unit: '%' },
        { key: 'other CPU', unit: '%' },
      ],
      limit: LIMIT,
      rows,
      settings: {
        read: `GET ${ROOMS_PATH} with the reader's access token (Authorization: Bearer); ${ROOMS} rooms of 4 members each, created through the gateway after registering and verifying 4 accounts with the mailed code`,
        direct: `bench/servers/direct.ts: a second Fastify listener in the stack's process, the same route contract (schemas, serializer) behind the gateway's own authenticate plugin, the handler calling chat-notify's rooms.list on its database pool; the gateway rows add the gateway's other hooks and the bus request`,
        connections: LOAD.connections,
        warmup: `${LOAD.warmupSeconds} s`,
        measured: `${LOAD.seconds} s`,
        'c=1': `then ${LIGHT.seconds} s on 1 connection`,
        errors: 'socket errors + timeouts + non-2xx (any fails the run)',
        '× direct': 'req/s ÷ direct req/s',
        '+p50': 'p50 − direct p50',
        CPU: '% of one core over the measured run (c=32): server = the stack process (gateway and every service in one), postgres = the backends of this database, NATS = the nats-server process, autocannon = the runner; machine = all of this machine, out of 100 × cores; other = machine − the columns before it (other work on the machine, the kernel’s own)',
        database: `${POSTGRES.replace(/\/[^/]*$/, '')} (a fresh database per server)`,
        nats: nats.ok ? `${NATS} (a fresh namespace)` : 'not reachable',
        servers:
          'direct + in-process rows: one process (direct.ts without NATS_URL); NATS row: a second one with NATS_URL; load generator (autocannon) in the runner',
      },
    };
  },
};

export default benchmark;
