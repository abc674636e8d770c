import type { Db } from '@parley/kit';
import { and, asc, count, eq, inArray, lte, sql } from 'drizzle-orm';
import { type MailRow, mailQueue } from '../db/schema/mail.ts';

export interface NewMail {
  id: string;
  recipient: string;
  subject: string;
  text: string;
  html: string;
}

const ms = (n: number) => sql`(${n} * interval '1 millisecond')`;

/** The queue's times are the database's (`now()`): copies on different machines share one clock. */
export const createMailRepository = (db: Db) => ({
  /** False when a mail with this id was queued already. */
  async insert(mail: NewMail): Promise<boolean> {
    const rows = await db.insert(mailQueue).values(mail).onConflictDoNothing().returning({ id: mailQueue.id });
    return rows.length > 0;
  },

  /**
   * Takes up to `limit` due mails for this copy: the attempt is counted and the row hidden for
   * `leaseMs` in the same statement, so another copy skips it now (SKIP LOCKED) and after (not due),
   * and a copy that dies mid-send leaves it to be retried once the lease ends.
   */
  async claim(limit: number, leaseMs: number): Promise<MailRow[]> {
    const due = db
      .select({ id: mailQueue.id })
      .from(mailQueue)
      .where(and(eq(mailQueue.status, 'pending'), lte(mailQueue.nextAttemptAt, sql`now()`)))
      .orderBy(asc(mailQueue.nextAttemptAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    return db
      .update(mailQueue)
      .set({ attempts: sql`${mailQueue.attempts} + 1`, nextAttemptAt: sql`now() + ${ms(leaseMs)}` })
      .where(inArray(mailQueue.id, due))
      .returning();
  },

  /** Sent: the body goes (it may hold a code or a sign-in link). False when it was no longer pending. */
  async markSent(id: string): Promise<boolean> {
    const rows = await db
      .update(mailQueue)
      .set({ status: 'sent', sentAt: sql`now()`, text: null, html: null, lastError: null })
      .where(and(eq(mailQueue.id, id), eq(mailQueue.status, 'pending')))
      .returning({ id: mailQueue.id });
    return rows.length > 0;
  },

  /**
   * A failed attempt: retried after `retryInMs`, or given up (`failed`) when `giveUp`. A failed mail
   * keeps its body so an operator can put it back (status `pending`). False when another attempt
   * (or copy) has moved the mail on meanwhile.
   */
  async markFailed(id: string, attempts: number, error: string, retry: { giveUp: boolean; retryInMs: number }): Promise<boolean> {
    const rows = await db
      .update(mailQueue)
      .set(
        retry.giveUp
          ? { status: 'failed', lastError: error }
          : { lastError: error, nextAttemptAt: sql`now() + ${ms(retry.retryInMs)}` },
      )
      .where(and(eq(mailQueue.id, id), eq(mailQueue.status, 'pending'), eq(mailQueue.attempts, attempts)))
      .returning({ id: mailQueue.id });
    return rows.length > 0;
  },

  async pending(): Promise<number> {
    const [row] = await db.select({ n: count() }).from(mailQueue).where(eq(mailQueue.status, 'pending'));
    return row?.n ?? 0;
  },
});
export type MailRepository = ReturnType<typeof createMailRepository>;
