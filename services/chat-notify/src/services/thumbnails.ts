import type { EventData, FeedEvent, MediaEvents } from '@parley/contracts';
import type { DeliveredEvent, EventOutcome } from '@parley/kit';
import type { ChatDeps } from './deps.ts';
import type { Feed } from './feed.ts';

type Ready = EventData<typeof MediaEvents.ready>;

/**
 * A thumbnail is done: the message carrying the media shows it from now on, and the room's members
 * (the owner, for media outside any room) are told with a `media.ready`. Once per media, however
 * often the event is delivered: the first delivery records it in `media_ready`, in the same
 * transaction as the pushes.
 */
export const createThumbnails = ({ transaction, inRoom, now }: ChatDeps, feed: Feed) => ({
  async handle(delivered: DeliveredEvent<Ready>): Promise<EventOutcome> {
    const { mediaId, ownerId, roomId, thumbnailUrl } = delivered.envelope.data;
    const at = now();
    const event: FeedEvent = { type: 'media.ready', roomId, mediaId, thumbnailUrl };
    const change = () =>
      transaction(async (tx) => {
        // The room first, as every writer of a room's feed does: a message posted meanwhile either
        // sees this thumbnail recorded or is already there to be updated.
        const room = roomId === null ? undefined : await tx.rooms.lock(roomId);
        if (!(await tx.messages.recordReady(mediaId, thumbnailUrl, at))) return [];
        if (roomId === null) return tx.feed.append([{ event, recipients: [ownerId] }], at);
        if (!room) return []; // the room is gone, and its messages with it
        await tx.messages.setThumbnail(roomId, mediaId, thumbnailUrl);
        return [await tx.feed.appendForRoom(event, roomId, at)];
      });
    const numbered = roomId === null ? await change() : await inRoom(roomId, change);
    feed.publish(numbered);
    return 'ack';
  },
});
export type Thumbnails = ReturnType<typeof createThumbnails>;
