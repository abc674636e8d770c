import { sql } from 'drizzle-orm';
import { bigint, check, smallint, text, timestamp } from 'drizzle-orm/pg-core';
import { auditLogSchema } from './index.ts';

/**
 * One row: the last stored event's seq and hash. Writers lock it (`FOR UPDATE`) for the whole
 * commit, which serialises every copy's appends; verify compares the last row with it, so rows
 * removed from the end show. Seeded by migration 0002.
 */
export const chainHead = auditLogSchema.table(
  'chain_head',
  {
    id: smallint().primaryKey().default(1),
    seq: bigint({ mode: 'number' }).notNull(),
    hash: text().notNull(),
  },
  (t) => [check('chain_head_single_row', sql`${t.id} = 1`)],
);

/**
 * One row once retention has run: everything up to `throughSeq` was deleted, and `hash` was the
 * last deleted row's hash, so verify continues the chain from here. `deleted` counts every row
 * retention removed so far.
 */
export const checkpoints = auditLogSchema.table(
  'checkpoints',
  {
    id: smallint().primaryKey().default(1),
    throughSeq: bigint({ mode: 'number' }).notNull(),
    hash: text().notNull(),
    deleted: bigint({ mode: 'number' }).notNull(),
    at: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [check('checkpoints_single_row', sql`${t.id} = 1`)],
);
export type Checkpoint = typeof checkpoints.$inferSelect;
