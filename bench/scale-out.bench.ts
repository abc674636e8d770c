import { type ChatStack, startChatStack } from './lib/chat-stack.ts';
import { listenerPids, meterCpu, otherCpu, postgresBackends } from './lib/cpu-groups.ts';
import { measure, percentile } from './lib/load.ts';
import { probeNats } from './lib/nats.ts';
import { busHandled, checkRoomsRead, type Reader, ROOMS, ROOMS_PATH, seedReader, transportOf } from './lib/rooms-read.ts';
import { medianRound } from './lib/rounds.ts';
import type { ServiceProcess } from './lib/services.ts';
import type { Benchmark, BenchRow } from './lib/types.ts';

/** Like the other benchmarks: the machine's Postgres and NATS unless DATABASE_URL / NATS_URL say otherwise. */
const POSTGRES = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS = process.env.NATS_URL || 'nats://127.0.0.1:4222';
/** In all, split evenly over the gateways of a case. */
const CONNECTIONS = 32;
const WARMUP_SECONDS = 2;
const MEASURED_SECONDS = 8;
/**
 * Every case runs once per round and the table shows its median round: on a small machine, runs of the
 * same case differ by up to a fifth from one to the next, as much as the cases differ from each other.
 */
const ROUNDS = 3;
/** The bus endpoint behind the read, as chat-notify's metrics name it. */
const SUBJECT = 'chat.rooms.list';
const LIMIT = '1 gateway → 1 chat-notify';

/** Each gateway gets its share of the connections at once; warm-up first, then the measured run. */
async function loadGateways(gateways: ServiceProcess[], reader: Reader, seconds: number) {
  const connections = Math.round(CONNECTIONS / gateways.length);
  return Promise.all(
    gateways.map((g) => measure(`${g.url}${ROOMS_PATH}`, { connections, warmupSeconds: 0, seconds, headers: reader.headers })),
  );
}

/**
 * autocannon stops counting at its deadline with a request in flight on each connection; the gateway
 * still forwards those. A pause lets them finish before the copies' counters are read.
 */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1_000));

/** One measured case: the load split over `gateways`, served by every chat-notify copy running now. */
async function runCase(fleet: ChatStack, reader: Reader, name: string, gateways: ServiceProcess[]): Promise<BenchRow> {
  const { copies } = fleet;
  console.log(`${name}: ${WARMUP_SECONDS} s warm-up + ${MEASURED_SECONDS} s measured, ${CONNECTIONS} connections…`);
  for (const g of gateways) await checkRoomsRead(g.url, reader);
  await loadGateways(gateways, reader, WARMUP_SECONDS);
  await settle();

  const handledBefore = await Promise.all(copies.map((c) => busHandled(c.url, SUBJECT)));
  const natsPort = Number(new URL(NATS.split(',')[0]!).port || 4222);
  const cpu = meterCpu({
    gateway: () => gateways.map((g) => g.pid),
    chat: () => copies.map((c) => c.pid),
    auth: () => [fleet.auth.pid],
    postgres: () => postgresBackends(fleet.database),
    nats: () => listenerPids(natsPort),
  });
  const runs = await loadGateways(gateways, reader, MEASURED_SECONDS);
  const used = cpu.stop();
  await settle();
  const handled = (await Promise.all(copies.map((c) => busHandled(c.url, SUBJECT)))).map((n, i) => n - handledBefore[i]!);

  const answered = runs.reduce((sum, r) => sum + r.requests, 0);
  const total = handled.reduce((sum, n) => sum + n, 0);
  console.log(
    `  answered ${runs.map((r) => r.requests).join(' + ')} (per gateway); handled ${handled.join(' + ')} (per chat-notify copy)`,
  );
  // A request in flight when autocannon stops is handled but not counted as answered: at most one per connection.
  if (total < answered || total > answered + CONNECTIONS) {
    throw new Error(`${name}: chat-notify handled ${total} reads for ${answered} answered: the load did not go where expected`);
  }
  const samples = new Float64Array(runs.reduce((sum, r) => sum + r.samples.length, 0));
  runs.reduce((offset, r) => {
    samples.set(r.samples, offset);
    return offset + r.samples.length;
  }, 0);
  samples.sort();
  return {
    case: name,
    figures: {
      'req/s': runs.reduce((sum, r) => sum + r.reqPerSec, 0),
      p50: percentile(samples, 50),
      p99: percentile(samples, 99),
      errors: runs.reduce((sum, r) => sum + r.failures, 0),
      ...Object.fromEntries(handled.map((n, i) => [`copy ${i + 1} share`, (n / total) * 100])),
      'gateway CPU': used.gateway,
      'chat-notify CPU': used.chat,
      'auth CPU': used.auth,
      'postgres CPU': used.postgres,
      'NATS CPU': used.nats,
      'autocannon CPU': used.runner,
      'machine CPU': used.machine,
      'other CPU': otherCpu(used),
    },
  };
}

const benchmark: Benchmark = {
  name: 'scale-out',
  description: `A typical authenticated read (GET ${ROOMS_PATH}: the reader's ${ROOMS} rooms, answered by chat-notify from Postgres) through 1 and 2 copies of chat-notify behind 1 and 2 gateways, each its own process on NATS; the share of reads each copy handled and where the CPU went.`,
  async run() {
    const nats = await probeNats(NATS);
    if (!nats.ok) throw new Error(`scale-out needs NATS: ${nats.reason}`);
    console.log('starting auth, chat-notify and a gateway; seeding the reader…');
    const fleet = await startChatStack({ nats: NATS, postgres: POSTGRES, gateways: 1 });
    const rounds = new Map<string, BenchRow[]>();
    const measureCase = async (reader: Reader, name: string, gateways: ServiceProcess[]): Promise<void> => {
      rounds.set(name, [...(rounds.get(name) ?? []), await runCase(fleet, reader, name, gateways)]);
    };
    try {
      const [first] = fleet.gateways;
      if ((await transportOf(first!.url, 'chat-notify')) !== 'nats') throw new Error('chat-notify is not on NATS');
      const reader = await seedReader(first!.url, fleet.smtp);
      // An idle gateway costs nothing, so the second stays up; a copy in the queue group would take its share, so it comes and goes.
      const second = await fleet.start('gateway');
      for (let round = 1; round <= ROUNDS; round++) {
        console.log(`round ${round} of ${ROUNDS}`);
        await measureCase(reader, LIMIT, [first!]);
        await measureCase(reader, '2 gateways → 1 chat-notify', [first!, second]);
        await fleet.start('chat-notify');
        await measureCase(reader, '2 gateways → 2 chat-notify', [first!, second]);
        await measureCase(reader, '1 gateway → 2 chat-notify', [first!]);
        await fleet.copies.pop()!.stop();
      }
    } finally {
      await fleet.close();
    }

    const order = [LIMIT, '1 gateway → 2 chat-notify', '2 gateways → 1 chat-notify', '2 gateways → 2 chat-notify'];
    const table = order.map((name) => medianRound(rounds.get(name)!, 'req/s'));
    const base = table[0]!.figures['req/s']!;
    for (const row of table) row.figures['× 1 copy'] = row.figures['req/s']! / base;
    return {
      columns: [
        { key: 'req/s', unit: 'req/s' },
        { key: 'req/s min', unit: 'req/s' },
        { key: 'req/s max', unit: 'req/s' },
        { key: 'p50', unit: 'ms' },
        { key: 'p99', unit: 'ms' },
        { key: 'errors', unit: 'count' },
        { key: '× 1 copy', unit: 'x' },
        { key: 'copy 1 share', unit: '%' },
        { key: 'copy 2 share', unit: '%' },
        { key: 'gateway CPU', unit: '%' },
        { key: 'chat-notify CPU', unit: '%' },
        { key: 'auth CPU', unit: '%' },
        { key: 'postgres CPU', unit: '%' },
        { key: 'NATS CPU', unit: '%' },
        { key: 'autocannon CPU', unit: '%' },
        { key: 'machine CPU', unit: '%' },
        { key: 'other CPU', unit: '%' },
      ],
      limit: LIMIT,
      rows: table,
      settings: {
        read: `GET ${ROOMS_PATH} with the reader's access token; ${ROOMS} rooms of 4 members each, created through the gateway after registering and verifying 4 accounts with the mailed code (SMTP capture)`,
        processes: `auth ×1, chat-notify ×1 or ×2, gateway ×1 or ×2: services/<name>/src/server.ts each (node + tsx), NATS ${NATS} (a fresh namespace), Postgres (a fresh database); autocannon in the runner`,
        connections: `${CONNECTIONS} keep-alive, split evenly over the gateways of the case (one autocannon each, run at once)`,
        warmup: `${WARMUP_SECONDS} s`,
        measured: `${MEASURED_SECONDS} s`,
        errors: 'socket errors + timeouts + non-2xx (any fails the run)',
        '× 1 copy': `req/s ÷ ${LIMIT} req/s`,
        share: `reads each chat-notify copy answered in the measured run (its /metrics: parley_bus_handled_duration_seconds_count, subject ${SUBJECT}) ÷ all; their sum must match the reads answered`,
        CPU: '% of one core over the measured run; gateway = the gateways loaded, chat-notify = every copy; postgres = the backends of this database; NATS = the nats-server process; autocannon = the runner; machine = all of this machine, out of 100 × cores; other = machine − the columns before it (other work on the machine, the kernel’s own)',
        rounds: `${ROUNDS}, each running 1→1, 2→1, 2→2, 1→2 (the second copy started before 2→2 and stopped after 1→2; the second gateway idle in the 1-gateway cases); every case has its own warm-up; a row is the case's median round by req/s (all its figures from that round), req/s min/max the spread over the rounds`,
      },
    };
  },
};

export default benchmark;
