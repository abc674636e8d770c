import { text, timestamp } from 'drizzle-orm/pg-core';
import { chatNotifySchema } from './index.ts';

/**
 * Thumbnails announced by the media service, one row per media: a redelivered `media.ready` finds
 * its row and pushes nothing, and a message posted after its thumbnail was announced takes the URL
 * from here. Pruned with the feed.
 */
export const mediaReady = chatNotifySchema.table('media_ready', {
  mediaId: text().primaryKey(),
  thumbnailUrl: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
