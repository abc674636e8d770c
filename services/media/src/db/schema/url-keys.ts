import { text, timestamp } from 'drizzle-orm/pg-core';
import { mediaSchema } from './index.ts';

/**
 * HMAC-SHA256 secrets for signed media URLs, shared by every copy. The newest unretired key signs;
 * every key not yet retired verifies, so a rotation does not break URLs already handed out.
 */
export const urlKeys = mediaSchema.table('url_keys', {
  id: text().primaryKey(),
  /** 32 random bytes, base64url. */
  secret: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull(),
  retireAt: timestamp({ withTimezone: true }),
});
export type UrlKey = typeof urlKeys.$inferSelect;
