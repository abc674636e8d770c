import { randomUUID } from 'node:crypto';
import { createTestDatabaseUrl, dropBusNamespace } from '../packages/kit/src/testing/index.ts';
import { type DelayedRoute, type DelayReport, OutboxRoutes, type WriteBody } from './lib/audit-outbox-api.ts';
import { withCpu } from './lib/cpu.ts';
import { serverEnv } from './lib/env.ts';
import { type LoadRequest, measure, percentile } from './lib/load.ts';
import { probeNats } from './lib/nats.ts';
import { sendPaced } from './lib/paced-sender.ts';
import { type ServerProcess, startServer } from './lib/server-process.ts';
import type { Benchmark, BenchRow } from './lib/types.ts';

// The machine's own servers, whatever the environment says: the figures are about them.
/** Like the other benchmarks: the machine's Postgres and NATS unless DATABASE_URL / NATS_URL say otherwise. */
const POSTGRES = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS = process.env.NATS_URL || 'nats://127.0.0.1:4222';
const LOADED = { connections: 16, warmupSeconds: 2, seconds: 6 };
/** One connection: the route's own latency, not queueing behind others; routes take turns, so drifting load hits all alike. */
const SINGLE = { connections: 1, warmupSeconds: 0, seconds: 2, rounds: 3 };
/** Open-loop request rate while event delays are timed: well under what any route sustains. */
const DELAY = { rate: 250, seconds: 6, maxInFlight: 64 };
const LIMIT = 'write alone';

const CASES: { name: string; path: string; delayed?: DelayedRoute }[] = [
  { name: LIMIT, path: OutboxRoutes.direct },
  { name: 'write + event staged in the outbox', path: OutboxRoutes.outbox, delayed: 'outbox' },
  { name: 'write, then awaited bus.emit', path: OutboxRoutes.emit, delayed: 'emit' },
];

const body = (): WriteBody => ({ roomId: randomUUID(), senderId: randomUUID(), length: 42 });
/** The write's request: one body per run (autocannon repeats it). */
const post = (): LoadRequest => ({ method: 'POST', body: body() });

async function postJson<T>(url: string, payload?: unknown): Promise<T> {
  const res = await fetch(url, {
    method: payload === undefined ? 'GET' : 'POST',
    ...(payload === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${new URL(url).pathname}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** `DELAY.rate` requests/s on each delayed route in turn, every commit timed until its event reaches a JetStream consumer. */
async function eventDelays(server: ServerProcess): Promise<Record<DelayedRoute, number[]>> {
  await postJson(`${server.url}/delay/record`, {});
  for (const c of CASES.filter((x) => x.delayed)) {
    const sent = await sendPaced(DELAY.rate, DELAY.rate * DELAY.seconds, DELAY.maxInFlight, async () => {
      const res = await fetch(`${server.url}${c.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body()),
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      return res.status === 201 || `status ${res.status}`;
    });
    if (sent.failed > 0) throw new Error(`${c.name}: ${sent.failed} requests failed: ${JSON.stringify([...sent.refused])}`);
  }
  const report = await postJson<DelayReport>(`${server.url}/delay/report`, {});
  if (report.missing > 0) throw new Error(`${report.missing} committed events never reached the consumer`);
  return report.delays;
}

async function loaded(server: ServerProcess, c: (typeof CASES)[number]): Promise<BenchRow> {
  const { value: f, cpuPercent } = await withCpu(server.pid, () => measure(`${server.url}${c.path}`, LOADED, post()));
  return {
    case: c.name,
    figures: { 'req/s c=16': f.reqPerSec, 'p50 c=16': f.p50Ms, 'p99 c=16': f.p99Ms, 'server CPU': cpuPercent },
  };
}

/** Latency on one connection, each route `SINGLE.rounds` times in turn; percentiles over all its rounds. */
async function single(server: ServerProcess): Promise<Map<string, { p50: number; p99: number }>> {
  const samples = new Map<string, number[]>(CASES.map((c) => [c.name, []]));
  for (let round = 0; round < SINGLE.rounds; round++) {
    for (const c of CASES) samples.get(c.name)!.push(...(await measure(`${server.url}${c.path}`, SINGLE, post())).samples);
  }
  return new Map(
    [...samples].map(([name, list]) => {
      const sorted = Float64Array.from(list).sort();
      return [name, { p50: percentile(sorted, 50), p99: percentile(sorted, 99) }];
    }),
  );
}

const benchmark: Benchmark = {
  name: 'audit-outbox',
  description:
    'What the transactional outbox adds to a write request: the same one-row transaction alone (the limit), with its event staged in the transaction (published from memory after the commit, the relay behind), and followed by an awaited publish to JetStream (before the outbox); plus how long each event takes from the commit to a consumer.',
  async run() {
    const nats = await probeNats(NATS);
    if (!nats.ok) throw new Error(`audit-outbox needs NATS: ${nats.reason}`);
    const database = await createTestDatabaseUrl(POSTGRES);
    const env = serverEnv({ DATABASE_URL: database.url, NATS_URL: NATS });
    let server: ServerProcess | undefined;
    try {
      server = await startServer('../lib/audit-outbox-server.ts', env);
      for (const c of CASES) await measure(`${server.url}${c.path}`, { ...LOADED, warmupSeconds: 0, seconds: 2 }, post());

      console.log(`event delay: ${DELAY.rate} req/s for ${DELAY.seconds} s on each route that emits…`);
      const delays = await eventDelays(server);
      const rows: BenchRow[] = [];
      for (const c of CASES) {
        console.log(`${c.name}: ${LOADED.warmupSeconds} s warm-up + ${LOADED.seconds} s on ${LOADED.connections} connections…`);
        const row = await loaded(server, c);
        if (c.delayed) {
          const sorted = Float64Array.from(delays[c.delayed]).sort();
          row.figures['event p50'] = percentile(sorted, 50);
          row.figures['event p99'] = percentile(sorted, 99);
        }
        rows.push(row);
      }
      console.log(`1 connection: ${SINGLE.rounds} rounds of ${SINGLE.seconds} s on each route in turn…`);
      const latencies = await single(server);
      for (const row of rows) {
        row.figures['p50 c=1'] = latencies.get(row.case)!.p50;
        row.figures['p99 c=1'] = latencies.get(row.case)!.p99;
      }
      // Every staged event left the outbox: the relay kept up, nothing is stuck.
      await postJson(`${server.url}/outbox/drained`);

      const limit = rows[0]!.figures;
      for (const row of rows) {
        row.figures['× write'] = row.figures['req/s c=16']! / limit['req/s c=16']!;
        row.figures['+p50 c=1'] = row.figures['p50 c=1']! - limit['p50 c=1']!;
      }
      return {
        columns: [
          { key: 'req/s c=16', unit: 'req/s' },
          { key: 'p50 c=16', unit: 'ms' },
          { key: 'p99 c=16', unit: 'ms' },
          { key: '× write', unit: 'x' },
          { key: 'p50 c=1', unit: 'ms' },
          { key: 'p99 c=1', unit: 'ms' },
          { key: '+p50 c=1', unit: 'ms', signed: true },
          { key: 'event p50', unit: 'ms' },
          { key: 'event p99', unit: 'ms' },
          { key: 'server CPU', unit: '%' },
        ],
        limit: LIMIT,
        rows,
        settings: {
          write:
            'POST, one row inserted in a transaction (kit_test.items); (b) also stages chat.message.created in it (outbox.transaction: published after the commit, the relay retries leftovers); (c) commits, then awaits bus.emit of it',
          'c=16': `${LOADED.connections} connections, ${LOADED.warmupSeconds} s warm-up + ${LOADED.seconds} s measured`,
          'c=1': `then 1 connection, ${SINGLE.rounds} rounds of ${SINGLE.seconds} s on each route in turn`,
          '× write': 'req/s c=16 ÷ write alone',
          'event p50/p99': `COMMIT sent → event delivered to a JetStream consumer in the server process, ${DELAY.rate} req/s open loop for ${DELAY.seconds} s per route (before the other runs)`,
          'server CPU': 'server process, % of one core, c=16 warm-up + run',
          outbox: 'kit defaults (relay batch 256, poll 1 s), Postgres pool 10',
          database: `${POSTGRES} (fresh database)`,
          nats: `${NATS} (fresh namespace)`,
          processes: 'server in one child; autocannon and the paced sender in the runner',
        },
      };
    } finally {
      await server?.stop();
      await dropBusNamespace(NATS, env.BUS_NAMESPACE as string).catch((err: Error) => console.error(`cleanup: ${err.message}`));
      await database.drop().catch((err: Error) => console.error(`cleanup: ${err.message}`));
    }
  },
};

export default benchmark;
