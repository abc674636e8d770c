import type { MessageMedia } from '@parley/contracts';
import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { chatNotifySchema } from './index.ts';
import { rooms } from './rooms.ts';

/** Append-only. `position` orders a room's history (ids are random); history pages by it. */
export const messages = chatNotifySchema.table(
  'messages',
  {
    id: text().primaryKey(),
    roomId: text()
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    position: bigint({ mode: 'number' }).generatedAlwaysAsIdentity(),
    senderId: text().notNull(),
    text: text().notNull(),
    media: jsonb().$type<MessageMedia>(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** The sender's idempotency key: one message per (room, sender, key). */
    clientMessageId: text(),
  },
  (t) => [
    index('messages_room_position_idx').on(t.roomId, t.position),
    uniqueIndex('messages_client_id_idx')
      .on(t.roomId, t.senderId, t.clientMessageId)
      .where(sql`${t.clientMessageId} is not null`),
    // media.ready finds the message carrying a media id.
    index('messages_media_idx').on(sql`(${t.media}->>'id')`).where(sql`${t.media} is not null`),
  ],
);
export type MessageRow = typeof messages.$inferSelect;
