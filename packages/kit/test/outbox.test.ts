import { fileURLToPath } from 'node:url';
import { defineEvent, type EventEnvelope, ParleyError } from '@parley/contracts';
import { sql } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { Type } from 'typebox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../src/bus/types.ts';
import { createDatabase, type Database, queryRows } from '../src/db/index.ts';
import { createLogger } from '../src/logger.ts';
import { createOutbox, type Outbox } from '../src/outbox/index.ts';
import { createTestDatabaseUrl, type TestDatabase } from '../src/testing/database.ts';
import { createWorld, transports, type World } from './bus/harness.ts';
import { items } from './fixtures/schema.ts';

const migrations = fileURLToPath(new URL('./fixtures/migrations', import.meta.url));
const logger = createLogger({ service: 'outbox-test', level: 'silent' });
const ItemAdded = defineEvent('kit.item.added', 1, Type.Object({ name: Type.String() }));

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabaseUrl();
});
afterAll(async () => {
  await testDb?.drop();
});

/** A bus whose publishes fail while `down` is set, as when NATS is unreachable. */
const flaky = (bus: Bus) => {
  const state = { down: false, attempts: 0 };
  const wrapped: Bus = {
    ...bus,
    transport: bus.transport,
    namespace: bus.namespace,
    async publishEnvelope(envelope, options) {
      state.attempts++;
      if (state.down) throw new Error('stream unavailable');
      return bus.publishEnvelope(envelope, options);
    },
  };
  return { bus: wrapped, state };
};

const until = async (check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.each(transports)('transactional outbox (%s bus)', (transport) => {
  let world: World;
  let database: Database;
  const outboxes: Outbox[] = [];
  let received: EventEnvelope[];

  const openOutbox = (bus: Bus, extra: Partial<Parameters<typeof createOutbox>[0]> = {}) => {
    const outbox = createOutbox({
      db: database.db,
      schema: 'kit_test',
      bus,
      source: 'kit-test',
      logger,
      pollMs: 100,
      backoffMs: () => 50,
      ...extra,
    });
    outboxes.push(outbox);
    outbox.start();
    return outbox;
  };

  const listen = async () => {
    const consumer = await world.open('listener');
    await consumer.consume({ durable: 'outbox-test', subject: 'evt.>' }, (event) => {
      received.push(event.envelope);
      return 'ack';
    });
  };

  beforeAll(async () => {
    database = await createDatabase({ url: testDb.url, schema: 'kit_test' });
    await database.migrate(migrations);
  });
  afterAll(async () => {
    await database.close();
  });

  afterEach(async () => {
    await Promise.all(outboxes.splice(0).map((o) => o.stop()));
    await database.db.execute(sql`delete from kit_test.outbox`);
    await world.cleanup();
  });

  it('publishes what a committed transaction staged, once, with the same id; a rolled-back one never', async () => {
    world = createWorld(transport);
    received = [];
    const bus = await world.open('kit-test');
    const outbox = openOutbox(bus);
    await listen();

    const id = await outbox.transaction(async (tx, events) => {
      await tx.insert(items).values({ displayName: 'kept' });
      // A field the event does not declare (a whole row handed over) is left out, never published.
      const row = { name: 'kept', passwordHash: '$argon2id$secret' };
      return events.stage(ItemAdded, row, { actor: 'u1' });
    });
    await expect(
      outbox.transaction(async (tx, events) => {
        await tx.insert(items).values({ displayName: 'rolled back' });
        await events.stage(ItemAdded, { name: 'rolled back' }, { actor: 'u1' });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');

    await outbox.drained();
    await until(() => received.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(received.map((e) => [e.id, e.type, e.actor, e.source, e.data])).toEqual([
      [id, 'kit.item.added', 'u1', 'kit-test', { name: 'kept' }],
    ]);
    expect(await outbox.pending()).toBe(0);
  });

  it('keeps events while the stream refuses them and publishes each exactly once when it is back', async () => {
    world = createWorld(transport);
    received = [];
    const { bus, state } = flaky(await world.open('kit-test'));
    const registry = new Registry();
    const outbox = openOutbox(bus, { registry });
    await listen();

    state.down = true;
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await outbox.record(ItemAdded, { name: `n${i}` }));
    await until(() => state.attempts >= 20);
    expect(await outbox.pending()).toBe(20);
    expect(received).toEqual([]);

    state.down = false;
    await outbox.drained();
    await until(() => received.length >= 20);
    await new Promise((r) => setTimeout(r, 300));
    expect(received.map((e) => e.id).sort()).toEqual([...ids].sort());
    const metrics = await registry.getMetricsAsJSON();
    const failures = metrics.find((m) => m.name === 'parley_outbox_publish_failures_total');
    expect(failures?.values[0]?.value).toBeGreaterThanOrEqual(20);
  });

  it('two copies on one outbox publish every event exactly once', async () => {
    world = createWorld(transport);
    received = [];
    const a = openOutbox(await world.open('kit-test'), { batch: 7 });
    const b = openOutbox(await world.open('kit-test'), { batch: 7 });
    await listen();

    const ids = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? a : b).transaction((_tx, events) => events.stage(ItemAdded, { name: `c${i}` })),
      ),
    );
    await a.drained();
    await until(() => received.length >= 200);
    await new Promise((r) => setTimeout(r, 300));
    expect(received.length).toBe(200);
    expect(new Set(received.map((e) => e.id))).toEqual(new Set(ids));
  });

  it('refuses to stage invalid data (a bug), and answers 503 when the event cannot be stored', async () => {
    world = createWorld(transport);
    const outbox = openOutbox(await world.open('kit-test'));
    await expect(outbox.record(ItemAdded, { name: 42 } as never)).rejects.toThrow(/invalid data/);

    const other = await createDatabase({ url: testDb.url, schema: 'kit_test' });
    const closed = createOutbox({ db: other.db, schema: 'kit_test', bus: await world.open('kit-test'), source: 'x', logger });
    await other.close();
    const err = await closed.record(ItemAdded, { name: 'lost' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParleyError);
    expect((err as ParleyError).status).toBe(503);
    const [row] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from kit_test.outbox`);
    expect(row!.n).toBe(0);
  });
});
