import { bigserial, index, integer, jsonb, text, timestamp } from 'drizzle-orm/pg-core';
import { auditLogSchema } from './index.ts';

/** Append-only: rows are inserted once, keyed by the event id (redeliveries are dropped), never updated. */
export const events = auditLogSchema.table(
  'events',
  {
    seq: bigserial({ mode: 'number' }).primaryKey(),
    id: text().notNull().unique(),
    type: text().notNull(),
    version: integer().notNull(),
    at: timestamp({ withTimezone: true }).notNull(),
    source: text().notNull(),
    actor: text(),
    subject: text(),
    requestId: text(),
    ip: text(),
    userAgent: text(),
    data: jsonb().notNull(),
    storedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('events_type_at_idx').on(t.type, t.at), index('events_actor_at_idx').on(t.actor, t.at)],
);
export type StoredEvent = typeof events.$inferSelect;
