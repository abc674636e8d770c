import { text, timestamp } from 'drizzle-orm/pg-core';
import { chatNotifySchema } from './index.ts';

export const rooms = chatNotifySchema.table('rooms', {
  id: text().primaryKey(),
  name: text().notNull(),
  ownerId: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
export type Room = typeof rooms.$inferSelect;
