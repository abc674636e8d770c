import type { Db } from '@parley/kit';
import { and, gt, inArray, max, sql } from 'drizzle-orm';
import { throttle } from '../db/schema/throttle.ts';

export interface FailurePolicy {
  /** Failures allowed in a window before attempts are refused. */
  limit: number;
  windowSeconds: number;
  /** The first block; each further failure doubles it, up to `maxDelaySeconds`. */
  baseDelaySeconds: number;
  maxDelaySeconds: number;
}

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const seconds = (n: number) => sql`make_interval(secs => ${n}::double precision)`;

/** Every update is one INSERT … ON CONFLICT statement, so copies counting at once never lose a count. */
export const createThrottleRepository = (db: Db) => ({
  /** The latest `blockedUntil` among `keys` that is still ahead of `now`. */
  async blockedUntil(keys: string[], now: Date): Promise<Date | undefined> {
    const [row] = await db
      .select({ until: max(throttle.blockedUntil) })
      .from(throttle)
      .where(and(inArray(throttle.key, keys), gt(throttle.blockedUntil, now)));
    return row?.until ?? undefined;
  },

  /**
   * Counts a failure. The count starts over once a window has passed since it started, or since the
   * last block ended, so failing again right after a block keeps doubling the delay.
   */
  async recordFailure(key: string, now: Date, p: FailurePolicy): Promise<Date | null> {
    // greatest() skips NULLs: the later of the window start and the end of the last block.
    const stale = sql`greatest(${throttle.windowStartedAt}, ${throttle.blockedUntil}) <= ${ts(now)} - ${seconds(p.windowSeconds)}`;
    const failures = sql`(case when ${stale} then 1 else ${throttle.failures} + 1 end)`;
    const delay = (n: ReturnType<typeof sql>) =>
      sql`least(${p.maxDelaySeconds}::double precision, ${p.baseDelaySeconds} * power(2, least(${n} - ${p.limit}, 30)))`;
    const [row] = await db
      .insert(throttle)
      .values({
        key,
        failures: 1,
        windowStartedAt: now,
        blockedUntil: p.limit <= 1 ? new Date(now.getTime() + p.baseDelaySeconds * 1000) : null,
      })
      .onConflictDoUpdate({
        target: throttle.key,
        set: {
          failures,
          windowStartedAt: sql`case when ${stale} then ${ts(now)} else ${throttle.windowStartedAt} end`,
          blockedUntil: sql`case when ${failures} >= ${p.limit}
            then ${ts(now)} + make_interval(secs => ${delay(failures)})
            when ${stale} then null else ${throttle.blockedUntil} end`,
        },
      })
      .returning({ blockedUntil: throttle.blockedUntil });
    return row?.blockedUntil ?? null;
  },

  async reset(key: string): Promise<void> {
    await db.delete(throttle).where(sql`${throttle.key} = ${key}`);
  },

  /** Rows whose window and block both ended before `before`: they would count from zero anyway. */
  async deleteStale(before: Date): Promise<void> {
    await db.delete(throttle).where(sql`greatest(${throttle.windowStartedAt}, ${throttle.blockedUntil}) < ${ts(before)}`);
  },

  /** Counts one use in a fixed window; answers the count so far and when the window started. */
  async hit(key: string, now: Date, windowSeconds: number): Promise<{ count: number; windowStartedAt: Date }> {
    const stale = sql`${throttle.windowStartedAt} <= ${ts(now)} - ${seconds(windowSeconds)}`;
    const [row] = await db
      .insert(throttle)
      .values({ key, failures: 1, windowStartedAt: now })
      .onConflictDoUpdate({
        target: throttle.key,
        set: {
          failures: sql`case when ${stale} then 1 else ${throttle.failures} + 1 end`,
          windowStartedAt: sql`case when ${stale} then ${ts(now)} else ${throttle.windowStartedAt} end`,
        },
      })
      .returning({ count: throttle.failures, windowStartedAt: throttle.windowStartedAt });
    return row!;
  },
});
export type ThrottleRepository = ReturnType<typeof createThrottleRepository>;
