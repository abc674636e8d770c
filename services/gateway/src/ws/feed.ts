import { ChatEndpoints, FEED_PAGE_MAX } from '@parley/contracts';
import type { Bus } from '@parley/kit';
import type { FastifyBaseLogger } from 'fastify';
import type { WsMetrics } from './metrics.ts';
import type { FeedPage } from './sequencer.ts';

/**
 * Events per feed read. A reply must fit one NATS message (1 MB by default) and an event's JSON can
 * reach ~25 KB (4,000 characters that all need escaping): 32 of them always fit.
 */
export const FEED_READ_PAGE = Math.min(32, FEED_PAGE_MAX);

export interface FeedBounds {
  latestSeq: number;
  oldestSeq: number;
}

/**
 * Where a connection starts. Without `since`: now. With one inside the kept window: there, replaying
 * what follows. Outside it (pruned, or newer than anything): nothing can be replayed, so the client is
 * told to reload over HTTP, and the stream continues from now.
 */
export const resumePoint = (
  since: number | undefined,
  feed: FeedBounds,
): { start: number; replaying: boolean; reset: boolean } => {
  if (since === undefined) return { start: feed.latestSeq, replaying: false, reset: false };
  if (since > feed.latestSeq || since < feed.oldestSeq - 1) return { start: feed.latestSeq, replaying: false, reset: true };
  return { start: since, replaying: true, reset: false };
};

export interface FeedReaderOptions {
  bus: Bus;
  userId: string;
  timeoutMs: number;
  metrics: WsMetrics;
  log: FastifyBaseLogger;
}

/** One user's feed in chat-notify, as a socket reads it: where it stands, and pages of serialized events. */
export const createFeedReader = ({ bus, userId, timeoutMs, metrics, log }: FeedReaderOptions) => {
  const call = { timeoutMs, retries: 2 };
  return {
    bounds: (): Promise<FeedBounds> => bus.request(ChatEndpoints.readFeed, { userId }, call),
    async page(after: number, limit: number): Promise<FeedPage> {
      try {
        const page = await bus.request(ChatEndpoints.readFeed, { userId, after, limit }, call);
        metrics.backfill('ok');
        return {
          events: page.events.map((event) => ({ seq: event.seq, text: JSON.stringify(event) })),
          latestSeq: page.latestSeq,
        };
      } catch (err) {
        metrics.backfill('failed');
        log.warn({ userId, after, reason: (err as Error).message }, 'could not read the feed');
        throw err;
      }
    },
  };
};
