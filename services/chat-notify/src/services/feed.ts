import { FEED_PAGE_MAX, type NumberedEvent, type Push, PushSubject } from '@parley/contracts';
import type { NumberedItem } from '../repositories/feed.ts';
import type { ChatDeps } from './deps.ts';

const HOUR_MS = 3_600_000;

export interface FeedPage {
  events: NumberedEvent[];
  latestSeq: number;
  oldestSeq: number;
}

/** A page's JSON stays well under NATS's default 1 MiB message limit (a message event can be ~25 KB). */
const FEED_PAGE_MAX_BYTES = 512 * 1024;

/** The longest prefix whose JSON fits in `max` bytes, and never less than one event. */
const withinBytes = <T>(events: T[], max: number): T[] => {
  let bytes = 0;
  for (const [i, event] of events.entries()) {
    bytes += Buffer.byteLength(JSON.stringify(event));
    if (bytes > max && i > 0) return events.slice(0, i);
  }
  return events;
};

/** The per-user numbered feed the sockets resume from, and the live pushes of it. */
export const createFeed = ({ repos, bus, log, config, now }: ChatDeps) => ({
  /** Events first, then the bounds: `latestSeq` is never below a seq this page returns. */
  async read(userId: string, after?: number, limit = FEED_PAGE_MAX): Promise<FeedPage> {
    const rows = after === undefined ? [] : await repos.feed.read(userId, after, Math.min(limit, FEED_PAGE_MAX));
    const events = withinBytes(rows, FEED_PAGE_MAX_BYTES);
    const { latest, oldest } = await repos.feed.bounds(userId);
    return { events, latestSeq: latest, oldestSeq: oldest ?? latest + 1 };
  },

  /**
   * Core NATS, at most once, after commit: a gateway that misses one sees the next seq jump and
   * reads the gap from the feed.
   */
  publish(items: NumberedItem[]): void {
    for (const item of items) {
      const push: Push = { event: item.event, recipients: item.recipients };
      try {
        bus.publish(PushSubject, push);
      } catch (err) {
        log.warn({ err, type: item.event.type }, 'chat-notify: push not published (sockets backfill it)');
      }
    }
  },

  /**
   * Deletes what is outside every user's replay window: a numbered event goes only once it is both
   * beyond the user's last FEED_KEEP_EVENTS and older than FEED_KEEP_HOURS.
   */
  async prune(at: Date = now()): Promise<number> {
    const before = new Date(at.getTime() - config.FEED_KEEP_HOURS * HOUR_MS);
    const pruned = await repos.feed.prune(before, config.FEED_KEEP_EVENTS);
    await repos.messages.pruneReady(before);
    return pruned;
  },
});
export type Feed = ReturnType<typeof createFeed>;
