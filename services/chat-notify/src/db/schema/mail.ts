import { index, integer, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { chatNotifySchema } from './index.ts';

/**
 * The durable mail queue: a request is answered once its row is stored; senders claim due rows with
 * FOR UPDATE SKIP LOCKED, so copies share the work. The body is cleared once sent (it may hold a code).
 */
export const mailQueue = chatNotifySchema.table(
  'mail_queue',
  {
    id: uuid().primaryKey(),
    recipient: text().notNull(),
    subject: text().notNull(),
    text: text(),
    html: text(),
    status: text().$type<'pending' | 'sent' | 'failed'>().notNull().default('pending'),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    lastError: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('mail_queue_due_idx').on(t.status, t.nextAttemptAt)],
);
export type MailRow = typeof mailQueue.$inferSelect;
