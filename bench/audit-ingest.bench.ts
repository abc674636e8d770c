import type { EventEnvelope } from '@parley/contracts';
import { type Bus, createBus, createDatabase, createLogger, type Database } from '@parley/kit';
import { createTestDatabaseUrl, dropBusNamespace } from '../packages/kit/src/testing/index.ts';
import { MAX_GROUP } from '../services/audit-log/src/services/ingest.ts';
import { auditEnvelopes } from './lib/audit-events.ts';
import { POLL_MS, publishAll, rawInsert, storedFigures, verifyChain, waitForRows } from './lib/audit-ingest.ts';
import { allSettledOrThrow } from './lib/concurrency.ts';
import { cpuSeconds } from './lib/cpu.ts';
import { serverEnv } from './lib/env.ts';
import { probeNats } from './lib/nats.ts';
import { type ServiceProcess, startService } from './lib/services.ts';
import type { Benchmark, BenchRow } from './lib/types.ts';

// The machine's own servers, whatever the environment says: the figures are about them.
/** Like the other benchmarks: the machine's Postgres and NATS unless DATABASE_URL / NATS_URL say otherwise. */
const POSTGRES = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS = process.env.NATS_URL || 'nats://127.0.0.1:4222';
const EVENTS = 30_000;
const LIMIT = `raw multi-row INSERT, ${MAX_GROUP} rows each, 1 connection`;

interface Scratch {
  env: NodeJS.ProcessEnv;
  database: Database;
  bus: Bus;
  close(): Promise<void>;
}

/** A fresh database and bus namespace, a connection to each for the runner; `close` removes them. */
async function scratch(): Promise<Scratch> {
  const testDb = await createTestDatabaseUrl(POSTGRES);
  const env = serverEnv({ DATABASE_URL: testDb.url, NATS_URL: NATS });
  const logger = createLogger({ service: 'bench-audit', level: 'silent' });
  const namespace = env.BUS_NAMESPACE as string;
  const database = await createDatabase({ url: testDb.url, schema: 'audit_log', maxConnections: 1 });
  const bus = await createBus({ natsUrl: NATS, namespace, name: 'bench-audit', logger });
  return {
    env,
    database,
    bus,
    async close() {
      await bus.close();
      await database.close();
      await dropBusNamespace(NATS, namespace).catch((err: Error) => console.error(`cleanup: ${err.message}`));
      await testDb.drop().catch((err: Error) => console.error(`cleanup: ${err.message}`));
    },
  };
}

const cpuOf = (services: ServiceProcess[]): number => services.reduce((sum, p) => sum + (cpuSeconds(p.pid) ?? Number.NaN), 0);

/**
 * Every event waits in the stream before the service starts, so the consumer never runs dry: the rate is
 * rows stored from the first seen to the last, over that time (the service's boot and first commit left out).
 */
async function serviceCase(
  envelopes: EventEnvelope[],
  copies: number,
  after: (s: Scratch, rowsPerCommit: number) => Promise<void>,
): Promise<BenchRow> {
  const s = await scratch();
  const services: ServiceProcess[] = [];
  const polling = new AbortController();
  try {
    await publishAll(s.bus, envelopes);
    const spawned = performance.now();
    const stored = waitForRows(s.database.db, envelopes.length, polling.signal);
    stored.catch(() => {}); // awaited below, unless a start fails first
    services.push(...(await allSettledOrThrow(Array.from({ length: copies }, () => startService('audit-log', s.env)))));
    // From /healthz (the consumer attached a little earlier, while the app registered) to the last row.
    const cpuFrom = { at: performance.now(), seconds: cpuOf(services) };
    const timing = await stored;
    const cpuPercent = ((cpuOf(services) - cpuFrom.seconds) * 100_000) / (timing.doneAt - cpuFrom.at);
    const { rows, commits } = await storedFigures(s.database.db);
    if (rows !== envelopes.length) throw new Error(`audit-log stored ${rows} rows for ${envelopes.length} distinct events`);
    const { report, ms: verifyMs } = await verifyChain(s.bus);
    if (!report.ok || report.checked !== rows) throw new Error(`the stored chain does not verify: ${JSON.stringify(report)}`);
    await Promise.all(services.map((p) => p.stop()));
    await after(s, rows / commits);
    return {
      case: `audit-log service, ${copies} ${copies === 1 ? 'copy' : 'copies'}`,
      figures: {
        'rows/s': ((rows - timing.firstRows) * 1000) / (timing.doneAt - timing.firstAt),
        rows,
        'rows/commit': rows / commits,
        'start → all stored': timing.doneAt - spawned,
        verified: report.checked,
        verify: verifyMs,
        'service CPU': timing.doneAt > cpuFrom.at + 1_000 ? cpuPercent : Number.NaN,
      },
    };
  } finally {
    polling.abort();
    await Promise.all(services.map((p) => p.stop()));
    await s.close();
  }
}

const benchmark: Benchmark = {
  name: 'audit-ingest',
  description:
    'Sustained audit-log ingest (events/s stored and hash-chained, the chain verified afterwards) from a stream holding every event already, beside raw multi-row INSERTs of the same rows with the same hashes into a copy of its table on the same Postgres.',
  async run() {
    const nats = await probeNats(NATS);
    if (!nats.ok) throw new Error(`audit-ingest needs NATS: ${nats.reason}`);
    const envelopes = auditEnvelopes(EVENTS);
    const meanBytes = envelopes.reduce((n, e) => n + JSON.stringify(e).length, 0) / envelopes.length;

    const raws: BenchRow[] = [];
    const rows: BenchRow[] = [];
    console.log(`1 copy: ${EVENTS} events published, then the service started…`);
    rows.push(
      await serviceCase(envelopes, 1, async (s, rowsPerCommit) => {
        // On the database the service just filled, its table copied beside: the same Postgres, warm. Also in
        // groups as large as the service's were, which tells group size apart from the rest of its work.
        const observed = Math.round(rowsPerCommit);
        for (const [name, batch] of [
          [LIMIT, MAX_GROUP],
          [`raw, ${observed} rows each (the service's mean group)`, observed],
        ] as const) {
          console.log(`${name}…`);
          const { ms, rows: inserted, sameAsService } = await rawInsert(s.database.db, envelopes, batch);
          if (inserted !== envelopes.length || sameAsService !== inserted) {
            throw new Error(`raw insert: ${inserted} rows of ${envelopes.length}, ${sameAsService} equal to the service's`);
          }
          raws.push({ case: name, figures: { 'rows/s': (inserted * 1000) / ms, rows: inserted, 'rows/commit': batch } });
        }
      }),
    );
    console.log(`2 copies: the same events in a fresh database and namespace…`);
    rows.push(await serviceCase(envelopes, 2, async () => {}));
    const raw = raws[0];
    if (!raw) throw new Error('the raw insert did not run');
    const all = [...raws, ...rows];
    for (const row of all) row.figures['× raw'] = row.figures['rows/s']! / raw.figures['rows/s']!;

    return {
      columns: [
        { key: 'rows/s', unit: 'count' },
        { key: '× raw', unit: 'x' },
        { key: 'rows', unit: 'count' },
        { key: 'rows/commit', unit: 'count' },
        { key: 'start → all stored', unit: 'ms' },
        { key: 'verified', unit: 'count' },
        { key: 'verify', unit: 'ms' },
        { key: 'service CPU', unit: '%' },
      ],
      limit: LIMIT,
      rows: all,
      settings: {
        events: `${EVENTS}, ${new Set(envelopes.map((e) => e.type)).size} types of the EventCatalog (chat and logins weighted up), built by the kit's buildEnvelope, ${Math.round(meanBytes)} B of JSON each on average`,
        published: 'all to the namespace stream before the service starts (publishEnvelope, 1,000 awaiting their ack at once)',
        'rows/s': `service: (rows − rows at the first poll that saw any) ÷ time from that poll to all stored (chain head polled every ${POLL_MS} ms); raw: rows ÷ time of all INSERTs, hashing included`,
        'start → all stored': 'from spawning the service process(es) (boot, migrations, consumer attach included)',
        'service CPU': 'service process(es), % of one core, from /healthz answering to all stored',
        verified:
          'rows the audit.verify endpoint recomputed (called over the bus as an admin); a chain that does not verify fails the run',
        service: 'services/audit-log/src/server.ts, one process per copy (durable consumer audit-log on evt.>, group commit)',
        raw: `CREATE TABLE … (LIKE audit_log.events INCLUDING ALL) in the same database, hash = the service's chainHash, postgres.js prepared INSERT of ${MAX_GROUP} rows, sequential; every row checked equal to the one the service stored`,
        database: `${POSTGRES} (a fresh database per case)`,
        nats: `${NATS} (a fresh namespace per case)`,
      },
    };
  },
};

export default benchmark;
