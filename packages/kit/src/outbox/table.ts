import type { EventEnvelope } from '@parley/contracts';
import { bigserial, index, integer, jsonb, type PgSchema, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The transactional outbox of one service: an event is a row written in the same transaction as the
 * change it describes, and the relay publishes it to the event stream afterwards. Each service puts
 * `outbox = outboxTable(itsSchema)` in its drizzle schema (so its migrations create it); the kit
 * builds the same table object from the schema name to run the relay.
 */
export const outboxTable = (schema: PgSchema) =>
  schema.table(
    'outbox',
    {
      seq: bigserial({ mode: 'number' }).primaryKey(),
      /** The whole event as it will be published; its `id` is the stream's message id. */
      envelope: jsonb().$type<EventEnvelope>().notNull(),
      /** Publishing attempts so far (a claim counts as one). */
      attempts: integer().notNull().default(0),
      /** Not before this: a claim's lease, or the backoff after a failed publish. */
      availableAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
      createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
      lastError: text(),
    },
    (t) => [index('outbox_available_idx').on(t.availableAt, t.seq)],
  );

export type OutboxTable = ReturnType<typeof outboxTable>;
