import type { MessageMedia } from '@parley/contracts';
import { bigint, index, jsonb, text, timestamp } from 'drizzle-orm/pg-core';
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
  },
  (t) => [index('messages_room_position_idx').on(t.roomId, t.position)],
);
export type MessageRow = typeof messages.$inferSelect;
