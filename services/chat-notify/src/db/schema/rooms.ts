import { index, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { chatNotifySchema } from './index.ts';

export const rooms = chatNotifySchema.table(
  'rooms',
  {
    id: text().primaryKey(),
    name: text().notNull(),
    ownerId: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** Bumped by every message: `GET /rooms` lists by it. */
    lastActivityAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('rooms_activity_idx').on(t.lastActivityAt, t.id)],
);
export type Room = typeof rooms.$inferSelect;

/** Exactly one member of a room has role `owner`, and it is `rooms.owner_id`. Rows go with their room. */
export const roomMembers = chatNotifySchema.table(
  'room_members',
  {
    roomId: text()
      .notNull()
      .references(() => rooms.id, { onDelete: 'cascade' }),
    userId: text().notNull(),
    role: text().$type<'owner' | 'member'>().notNull(),
    joinedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] }), index('room_members_user_idx').on(t.userId)],
);
export type RoomMemberRow = typeof roomMembers.$inferSelect;
