import type { FeedEvent } from '@parley/contracts';
import { bigint, index, jsonb, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { chatNotifySchema } from './index.ts';

/** Each event a socket may be told, stored once however many users receive it. */
export const feedEvents = chatNotifySchema.table('feed_events', {
  id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  payload: jsonb().$type<FeedEvent>().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/**
 * A user's numbered events: `seq` is 1, 2, 3… per user with no gaps, allocated from `user_seqs` in the
 * transaction that stores the event, so one user's seqs commit in order. Pruned past the replay window.
 * No foreign key to `feed_events` (dropped in 0002): every event writes a row here per recipient, and
 * checking each cost about a third of that insert. Rows are inserted by the statement that inserts
 * their event, and the prune deletes an event only once no row points at it.
 */
export const userFeed = chatNotifySchema.table(
  'user_feed',
  {
    userId: text().notNull(),
    seq: bigint({ mode: 'number' }).notNull(),
    eventId: bigint({ mode: 'number' }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.seq] }), index('user_feed_event_idx').on(t.eventId)],
);

/** The last seq given to each user; the row lock on it is what orders one user's events. */
export const userSeqs = chatNotifySchema.table('user_seqs', {
  userId: text().primaryKey(),
  lastSeq: bigint({ mode: 'number' }).notNull(),
});
