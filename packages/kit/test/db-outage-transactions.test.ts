import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { endpoint, ParleyError } from '@parley/contracts';
import { count, like, sql } from 'drizzle-orm';
import { Type } from 'typebox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../src/db/index.ts';
import { createLogger } from '../src/logger.ts';
import { type PostgresServer, startPostgresServer } from '../src/testing/postgres-server.ts';
import { caught, createWorld, transports, type World } from './bus/harness.ts';
import { items } from './fixtures/schema.ts';

const migrations = fileURLToPath(new URL('./fixtures/migrations', import.meta.url));
const logger = createLogger({ service: 'db-outage-test', level: 'silent' });

const Pair = Type.Object({ name: Type.String() });
const Done = Type.Object({ ok: Type.Boolean() });
/** Two rows in one transaction, a query still running between them when Postgres stops. */
const addPairSlowly = endpoint('items.pair.slow', Pair, Done);
/** Two rows in one transaction, the service busy elsewhere between them (idle in transaction). */
const addPairIdly = endpoint('items.pair.idle', Pair, Done);
const countItems = endpoint('items.count', Type.Object({}), Type.Object({ count: Type.Integer() }), { idempotent: true });

/** How long the idle transaction waits between its rows: Postgres is back before the second one. */
const IDLE_MS = 3_000;

// A private server in both test modes: the test stops and starts it (never the machine's own).
describe.each(transports)('a transaction open when Postgres stops (%s bus)', (transport) => {
  let pg: PostgresServer;
  let database: Database;
  let world: World;

  beforeAll(async () => {
    pg = await startPostgresServer();
    database = await createDatabase({ url: pg.url, schema: 'kit_test', logger });
    await database.migrate(migrations);
  });
  afterAll(async () => {
    await database?.close();
    await pg?.close();
  });
  afterEach(async () => {
    await pg.start();
    await world?.cleanup();
  });

  it('answers 503, leaves nothing half-written, and the same process serves again', async () => {
    world = createWorld(transport);
    const service = await world.open('items');
    const { db } = database;
    service.serve(addPairSlowly, ({ name }) =>
      db.transaction(async (tx) => {
        await tx.insert(items).values({ displayName: `${name}-a` });
        await tx.execute(sql`select pg_sleep(1)`);
        await tx.insert(items).values({ displayName: `${name}-b` });
        return { ok: true };
      }),
    );
    let secondRowSent: (outcome: { serverUp: boolean; error?: unknown }) => void = () => {};
    const secondRow = new Promise<{ serverUp: boolean; error?: unknown }>((resolve) => {
      secondRowSent = resolve;
    });
    service.serve(addPairIdly, ({ name }) =>
      db.transaction(async (tx) => {
        await tx.insert(items).values({ displayName: `${name}-a` });
        await sleep(IDLE_MS);
        const serverUp = pg.running();
        try {
          await tx.insert(items).values({ displayName: `${name}-b` });
          secondRowSent({ serverUp });
        } catch (error) {
          secondRowSent({ serverUp, error });
          throw error;
        }
        return { ok: true };
      }),
    );
    service.serve(countItems, async () => {
      const [row] = await db.select({ n: count() }).from(items);
      return { count: Number(row?.n ?? 0) };
    });
    await service.ping();
    const gateway = await world.open('gateway');

    const slow = caught(gateway.request(addPairSlowly, { name: 'slow' }));
    const idle = caught(gateway.request(addPairIdly, { name: 'idle' }));
    await sleep(300);
    // Its sessions end at once: one in the middle of a query, one idle in its transaction.
    await pg.stop('fast');
    for (const err of [await slow, await idle]) {
      expect(err).toBeInstanceOf(ParleyError);
      expect((err as ParleyError).code).toBe('SERVICE_UNAVAILABLE');
    }

    await pg.start();
    // Served again, busily enough that the pool reconnects every connection, the dead transaction's too.
    const counts = await Promise.all(Array.from({ length: 20 }, () => gateway.request(countItems, {})));
    expect(counts.every((c) => c.count === 0)).toBe(true);
    // The idle transaction's callback goes on and sends its second row: it must not run on that
    // reconnected connection, outside any transaction (nor crash the process on the closed one).
    const second = await secondRow;
    expect(second.serverUp).toBe(true);
    expect(second.error).toBeDefined();
    await expect(gateway.request(countItems, {})).resolves.toEqual({ count: 0 });
    const [half] = await db.select({ n: count() }).from(items).where(like(items.displayName, '%-b'));
    expect(half?.n).toBe(0);
  });
});
