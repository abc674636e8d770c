import type { Db } from '@parley/kit';
import { and, asc, desc, eq, gt, gte, inArray, like, lt, lte, max, type SQL, sql } from 'drizzle-orm';
import { chainHead, checkpoints } from '../db/schema/chain.ts';
import { type EventRow, events, type NewEventRow } from '../db/schema/events.ts';

export const LOGIN_SUCCEEDED = 'auth.login.succeeded';
export const LOGIN_FAILED = 'auth.login.failed';

export interface ChainLink {
  seq: number;
  hash: string;
}

/** Filters of the admin list, already parsed. */
export interface EventQuery {
  type?: { exact: string } | { prefix: string };
  actor?: string;
  from?: Date;
  to?: Date;
  order: 'asc' | 'desc';
  /** Keyset: rows after this seq in `order`. */
  after?: number;
  limit: number;
}

/** `%`, `_` and `\` match themselves in a prefix. */
const likePrefix = (prefix: string): string => `${prefix.replace(/[\\%_]/g, '\\$&')}%`;

const HEAD = eq(chainHead.id, 1);

export const createEventsRepository = (db: Db) => ({
  /** The head, locked until the caller's transaction ends: one writer at a time, across copies. */
  async lockHead(): Promise<ChainLink> {
    const [head] = await db.select({ seq: chainHead.seq, hash: chainHead.hash }).from(chainHead).where(HEAD).for('update');
    if (!head) throw new Error('audit_log.chain_head has no row: migration 0002 was not applied');
    return head;
  },

  async setHead(head: ChainLink): Promise<void> {
    await db.update(chainHead).set(head).where(HEAD);
  },

  async storedIds(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await db.select({ id: events.id }).from(events).where(inArray(events.id, ids));
    return new Set(rows.map((r) => r.id));
  },

  async insert(rows: NewEventRow[]): Promise<void> {
    if (rows.length > 0) await db.insert(events).values(rows);
  },

  /** Head and checkpoint in one statement, so they belong together even while retention runs. */
  async chainState(): Promise<{ head: ChainLink | null; checkpoint: (ChainLink & { at: Date; deleted: number }) | null }> {
    const [row] = await db
      .select({
        headSeq: chainHead.seq,
        headHash: chainHead.hash,
        throughSeq: checkpoints.throughSeq,
        checkpointHash: checkpoints.hash,
        checkpointAt: checkpoints.at,
        deleted: checkpoints.deleted,
      })
      .from(chainHead)
      .leftJoin(checkpoints, eq(checkpoints.id, 1))
      .where(HEAD);
    if (!row) return { head: null, checkpoint: null };
    const { throughSeq, checkpointHash, checkpointAt, deleted } = row;
    return {
      head: { seq: row.headSeq, hash: row.headHash },
      checkpoint:
        throughSeq === null || checkpointHash === null || checkpointAt === null
          ? null
          : { seq: throughSeq, hash: checkpointHash, at: checkpointAt, deleted: deleted ?? 0 },
    };
  },

  /** Rows in chain order after `after`, up to `through`. */
  chainPage(after: number, through: number, limit: number): Promise<EventRow[]> {
    return db
      .select()
      .from(events)
      .where(and(gt(events.seq, after), lte(events.seq, through)))
      .orderBy(asc(events.seq))
      .limit(limit);
  },

  async lastSeq(): Promise<number> {
    const [row] = await db.select({ seq: max(events.seq) }).from(events);
    return row?.seq == null ? 0 : Number(row.seq);
  },

  /** The first row past `seq`, if any (a row nobody chained in). */
  async firstAfter(seq: number): Promise<{ seq: number; id: string } | undefined> {
    const [row] = await db
      .select({ seq: events.seq, id: events.id })
      .from(events)
      .where(gt(events.seq, seq))
      .orderBy(asc(events.seq))
      .limit(1);
    return row;
  },

  /** A user's login attempts (the account is the event's subject), newest first. */
  logins(userId: string, before: number | undefined, limit: number): Promise<EventRow[]> {
    return db
      .select()
      .from(events)
      .where(
        and(
          eq(events.subject, userId),
          inArray(events.type, [LOGIN_SUCCEEDED, LOGIN_FAILED]),
          before === undefined ? undefined : lt(events.seq, before),
        ),
      )
      .orderBy(desc(events.seq))
      .limit(limit);
  },

  async latestLogin(userId: string): Promise<EventRow | undefined> {
    const [row] = await db
      .select()
      .from(events)
      .where(and(eq(events.subject, userId), eq(events.type, LOGIN_SUCCEEDED)))
      .orderBy(desc(events.seq))
      .limit(1);
    return row;
  },

  list(query: EventQuery): Promise<EventRow[]> {
    const where: (SQL | undefined)[] = [];
    if (query.type && 'exact' in query.type) where.push(eq(events.type, query.type.exact));
    if (query.type && 'prefix' in query.type) where.push(like(events.type, likePrefix(query.type.prefix)));
    if (query.actor !== undefined) where.push(eq(events.actor, query.actor));
    if (query.from) where.push(gte(events.at, query.from));
    if (query.to) where.push(lt(events.at, query.to));
    const ascending = query.order === 'asc';
    if (query.after !== undefined) where.push(ascending ? gt(events.seq, query.after) : lt(events.seq, query.after));
    return db
      .select()
      .from(events)
      .where(and(...where))
      .orderBy(ascending ? asc(events.seq) : desc(events.seq))
      .limit(query.limit);
  },

  /** Serialises retention across copies until the caller's transaction ends; ingest is not held up. */
  async lockRetention(): Promise<void> {
    await db.execute(sql`select pg_advisory_xact_lock(hashtext('audit_log.retention'))`);
  },

  /** The oldest rows still kept, in chain order. */
  oldest(limit: number): Promise<EventRow[]> {
    return db.select().from(events).orderBy(asc(events.seq)).limit(limit);
  },

  async deleteThrough(seq: number): Promise<void> {
    await db.delete(events).where(lte(events.seq, seq));
  },

  async saveCheckpoint(link: ChainLink, deleted: number, at: Date): Promise<void> {
    const values = { id: 1, throughSeq: link.seq, hash: link.hash, deleted, at };
    await db.insert(checkpoints).values(values).onConflictDoUpdate({ target: checkpoints.id, set: values });
  },
});
export type EventsRepository = ReturnType<typeof createEventsRepository>;
