import type { EventEnvelope } from '@parley/contracts';
import { bigint, index, integer, jsonb, text, timestamp } from 'drizzle-orm/pg-core';
import { auditLogSchema } from './index.ts';

/**
 * Append-only and hash-chained: rows are inserted once, keyed by the event id (redeliveries are
 * dropped), never updated. `seq` is assigned by the writer holding the chain head's lock, so it has
 * no holes; retention deletes only a prefix of it (see checkpoints). No foreign keys.
 */
export const events = auditLogSchema.table(
  'events',
  {
    seq: bigint({ mode: 'number' }).primaryKey(),
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
    data: jsonb().$type<EventEnvelope['data']>().notNull(),
    /** Not part of the hash: when this service stored the row (retention reads it). */
    storedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** The previous row's hash (64 zeros before the first row). */
    prevHash: text().notNull(),
    /** sha256(prevHash + canonical row), hex; see services/chain.ts. */
    hash: text().notNull(),
  },
  (t) => [
    index('events_subject_type_seq_idx').on(t.subject, t.type, t.seq),
    index('events_actor_seq_idx').on(t.actor, t.seq),
    index('events_type_seq_idx').on(t.type, t.seq),
    index('events_at_idx').on(t.at),
  ],
);
export type EventRow = typeof events.$inferSelect;
export type NewEventRow = typeof events.$inferInsert;
