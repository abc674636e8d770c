import { jsonb, text, timestamp } from 'drizzle-orm/pg-core';
import type { JWK } from 'jose';
import { authSchema } from './index.ts';

/**
 * Ed25519 access-token keys. The newest unretired key signs; a retired key stays published in the
 * JWKS until `retireAt`, when the last token it signed has expired.
 */
export const signingKeys = authSchema.table('signing_keys', {
  kid: text().primaryKey(),
  publicJwk: jsonb().$type<JWK>().notNull(),
  privateJwk: jsonb().$type<JWK>().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull(),
  retireAt: timestamp({ withTimezone: true }),
});
export type SigningKey = typeof signingKeys.$inferSelect;
