import type { FeedEvent, NumberedEvent } from '@parley/contracts';
import { type Db, queryRows } from '@parley/kit';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { feedEvents, userFeed, userSeqs } from '../db/schema/feed.ts';
import { roomMembers } from '../db/schema/rooms.ts';

/** One event and who should see it. */
export interface FeedItem {
  event: FeedEvent;
  recipients: string[];
}

/** An event as numbered for its recipients: `[userId, seq]` pairs. */
export interface NumberedItem {
  event: FeedEvent;
  recipients: [string, number][];
}

const PRUNE_BATCH = 5000;

/** Bigints come back as strings from postgres.js and as numbers from PGlite. */
const num = (value: unknown): number => Number(value);

export const createFeedRepository = (db: Db) => ({
  /**
   * Stores the events once and numbers them for their recipients, all in the caller's transaction.
   * The seqs come from one upsert over the recipients in sorted order, so transactions lock users in
   * the same order (no deadlock) and one user's seqs are allocated and committed in order.
   */
  async append(items: FeedItem[], at: Date): Promise<NumberedItem[]> {
    const kept = items.filter((item) => item.recipients.length > 0);
    if (kept.length === 0) return [];
    const inserted = await db
      .insert(feedEvents)
      .values(kept.map((item) => ({ payload: item.event, createdAt: at })))
      .returning({ id: feedEvents.id });
    // Identity values follow the order of the VALUES list.
    const ids = inserted.map((r) => r.id).sort((a, b) => a - b);

    const perUser = new Map<string, number>();
    for (const item of kept) for (const user of new Set(item.recipients)) perUser.set(user, (perUser.get(user) ?? 0) + 1);
    const wanted = [...perUser].map(([u, n]) => ({ u, n }));
    const allocated = await queryRows<{ user_id: string; last_seq: unknown }>(
      db,
      sql`insert into ${userSeqs} as s (user_id, last_seq)
          select x.u, x.n from jsonb_to_recordset(${JSON.stringify(wanted)}::jsonb) as x(u text, n bigint) order by x.u
          on conflict (user_id) do update set last_seq = s.last_seq + excluded.last_seq
          returning user_id, last_seq`,
    );
    const next = new Map(allocated.map((r) => [r.user_id, num(r.last_seq) - perUser.get(r.user_id)! + 1]));

    const numbered: NumberedItem[] = [];
    const rows: { u: string; s: number; e: number }[] = [];
    kept.forEach((item, i) => {
      const recipients: [string, number][] = [];
      for (const user of new Set(item.recipients)) {
        const seq = next.get(user)!;
        next.set(user, seq + 1);
        recipients.push([user, seq]);
        rows.push({ u: user, s: seq, e: ids[i]! });
      }
      numbered.push({ event: item.event, recipients });
    });
    await db.execute(
      sql`insert into ${userFeed} (user_id, seq, event_id, created_at)
          select x.u, x.s, x.e, ${at.toISOString()}::timestamptz
          from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(u text, s bigint, e bigint)`,
    );
    return numbered;
  },

  /**
   * `append` for one event to a room's members (plus `also`, e.g. the member just removed), in one
   * statement: the recipients never travel to the service and back, and the room's lock is held for
   * one round trip instead of three.
   */
  async appendForRoom(event: FeedEvent, roomId: string, at: Date, also: string | null = null): Promise<NumberedItem> {
    const time = at.toISOString();
    const rows = await queryRows<{ user_id: string; last_seq: unknown }>(
      db,
      sql`with ev as (
            insert into ${feedEvents} (payload, created_at) values (${JSON.stringify(event)}::jsonb, ${time}::timestamptz)
            returning id),
          who as (
            select user_id from ${roomMembers} where room_id = ${roomId}
            union select ${also}::text where ${also}::text is not null),
          seqs as (
            insert into ${userSeqs} as s (user_id, last_seq) select user_id, 1 from who order by user_id
            on conflict (user_id) do update set last_seq = s.last_seq + 1
            returning user_id, last_seq),
          numbered as (
            insert into ${userFeed} (user_id, seq, event_id, created_at)
            select seqs.user_id, seqs.last_seq, ev.id, ${time}::timestamptz from seqs cross join ev)
          select user_id, last_seq from seqs`,
    );
    return { event, recipients: rows.map((r) => [r.user_id, num(r.last_seq)]) };
  },

  /** A user's events after `after`, oldest first. */
  async read(userId: string, after: number, limit: number): Promise<NumberedEvent[]> {
    const rows = await db
      .select({ seq: userFeed.seq, payload: feedEvents.payload })
      .from(userFeed)
      .innerJoin(feedEvents, eq(feedEvents.id, userFeed.eventId))
      .where(and(eq(userFeed.userId, userId), gt(userFeed.seq, after)))
      .orderBy(asc(userFeed.seq))
      .limit(limit);
    return rows.map((r) => ({ ...r.payload, seq: num(r.seq) }));
  },

  /** The user's newest seq (0 before any) and the oldest one still kept (null when none is). */
  async bounds(userId: string): Promise<{ latest: number; oldest: number | null }> {
    const [row] = await queryRows<{ latest: unknown; oldest: unknown }>(
      db,
      sql`select (select last_seq from ${userSeqs} where user_id = ${userId}) as latest,
                 (select min(seq) from ${userFeed} where user_id = ${userId}) as oldest`,
    );
    return { latest: num(row?.latest ?? 0), oldest: row?.oldest == null ? null : num(row.oldest) };
  },

  /**
   * Deletes numbered events older than `before` that are also beyond each user's last `keep`, in
   * batches, then the events nobody is left to read. Returns how many numbered rows went.
   */
  async prune(before: Date, keep: number): Promise<number> {
    const cutoff = before.toISOString();
    let total = 0;
    for (;;) {
      const deleted = await queryRows(
        db,
        sql`delete from ${userFeed} where (user_id, seq) in (
              select f.user_id, f.seq from ${userFeed} f join ${userSeqs} s on s.user_id = f.user_id
              where f.created_at < ${cutoff}::timestamptz and f.seq <= s.last_seq - ${keep}
              limit ${PRUNE_BATCH})
            returning user_id`,
      );
      total += deleted.length;
      if (deleted.length < PRUNE_BATCH) break;
    }
    await db.execute(
      sql`delete from ${feedEvents} e where e.created_at < ${cutoff}::timestamptz
          and not exists (select 1 from ${userFeed} f where f.event_id = e.id)`,
    );
    return total;
  },
});
export type FeedRepository = ReturnType<typeof createFeedRepository>;
