import { ChatEndpoints, type EventData, MediaEvents } from '@parley/contracts';
import type { ServiceKit } from '@parley/kit';
import type { ChatDomain } from '../services/index.ts';

export const MEDIA_READY_DURABLE = 'chat-media-ready';

/** Messages, the feed the sockets read, and the thumbnails that come back from the media service. */
export const serveMessages = async (kit: ServiceKit, { messages, feed, thumbnails }: ChatDomain): Promise<void> => {
  kit.serve(ChatEndpoints.postMessage, ({ caller, roomId, ...input }, { requestId }) =>
    messages.post(caller, roomId, input, { requestId }),
  );
  kit.serve(ChatEndpoints.listMessages, ({ caller, roomId, ...query }) => messages.list(caller, roomId, query));
  kit.serve(ChatEndpoints.readFeed, ({ userId, after, limit }) => feed.read(userId, after, limit));
  // One durable consumer shared by the copies: each thumbnail is handled by one of them.
  await kit.consume<EventData<typeof MediaEvents.ready>>(
    { durable: MEDIA_READY_DURABLE, subject: MediaEvents.ready.subject },
    (event) => thumbnails.handle(event),
  );
};
