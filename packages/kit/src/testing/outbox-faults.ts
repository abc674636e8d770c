/** Faults a service test injects around its transactional outbox (see src/outbox). */
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';

/** The service's event stream refusing every publish until `restore`, as when NATS is out of reach. */
export const refusePublishes = (app: FastifyInstance) => {
  const bus = app.parley.bus;
  const publish = bus.publishEnvelope;
  let refused = 0;
  bus.publishEnvelope = async () => {
    refused++;
    throw new Error('event stream unavailable');
  };
  return {
    /** Publishes refused so far: the relay has tried. */
    refused: () => refused,
    restore: () => {
      bus.publishEnvelope = publish;
    },
  };
};

/** Runs `fn` while the service's outbox table is gone, as when the database refuses to store an event. */
export const withoutOutbox = async <T>(app: FastifyInstance, fn: () => Promise<T>): Promise<T> => {
  const { db, schema } = app.parley.database();
  await db.execute(sql.raw(`alter table ${schema}.outbox rename to outbox_gone`));
  try {
    return await fn();
  } finally {
    await db.execute(sql.raw(`alter table ${schema}.outbox_gone rename to outbox`));
  }
};
