import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { type EventData, ImageKinds, MediaEvents } from '@parley/contracts';
import type { DeliveredEvent, EventOutcome } from '@parley/kit';
import type { MediaRow } from '../db/schema/media-objects.ts';
import { type BlobRefs, readAll } from './blobs.ts';
import type { MediaDeps } from './deps.ts';
import { record, who } from './events.ts';
import { makeThumbnail, UnusableImage } from './images.ts';
import { limiter } from './limiter.ts';
import { thumbnailPath } from './views.ts';

type Uploaded = EventData<typeof MediaEvents.uploaded>;

// A decode can hold width × height × 4 bytes; a copy makes this many at once whatever the consumer delivers.
const CONCURRENT_THUMBNAILS = 2;

/** One id per media: announcing the same thumbnail twice is deduplicated by the event stream. */
const readyEventId = (mediaId: string): string => {
  const h = createHash('sha256').update(`media.ready:${mediaId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/**
 * Makes the thumbnail of an uploaded image after the upload has answered. Idempotent: the row takes
 * one thumbnail only (locked, set once), and a redelivery finding it made just announces it again.
 */
export const createThumbnails = (deps: MediaDeps, refs: BlobRefs) => {
  const { repos, store, transaction, bus, config, log } = deps;
  const slot = limiter(CONCURRENT_THUMBNAILS);

  const announce = (row: MediaRow) =>
    record(
      bus,
      MediaEvents.ready,
      { mediaId: row.id, ownerId: row.ownerId, roomId: row.roomId, thumbnailUrl: thumbnailPath(row.id) },
      { ...who(null, row.ownerId), id: readyEventId(row.id) },
    );

  const make = async (row: MediaRow): Promise<Buffer> => {
    const original = await store.get(row.sha256);
    // Registered bytes are referenced, so this is a store fault: throwing retries, then dead-letters.
    if (!original) throw new Error(`media ${row.id}: original ${row.sha256} is missing from the blob store`);
    const bytes = await readAll(original, row.sizeBytes);
    return makeThumbnail(bytes, config.THUMBNAIL_SIZE, config.MAX_IMAGE_PIXELS);
  };

  return {
    async handle(event: DeliveredEvent<Uploaded>): Promise<EventOutcome> {
      const { mediaId, kind } = event.envelope.data;
      if (!ImageKinds.includes(kind)) return 'ack';
      const row = await repos.media.find(mediaId);
      if (!row) return 'ack'; // deleted before its thumbnail was made
      if (row.thumbnailSha256) {
        await announce(row);
        return 'ack';
      }
      let thumbnail: Buffer;
      try {
        thumbnail = await slot(() => make(row));
      } catch (err) {
        if (!(err instanceof UnusableImage)) throw err;
        log.warn({ err, mediaId }, 'media: image cannot be thumbnailed');
        return 'dead';
      }
      const stored = await store.put(Readable.from([thumbnail]));
      const updated = await transaction(async (tx) => {
        const current = await tx.media.lock(mediaId);
        if (!current || current.thumbnailSha256) return null;
        await refs.reference(tx, stored.sha256);
        await tx.media.setThumbnail(mediaId, stored.sha256, stored.size);
        return { ...current, thumbnailSha256: stored.sha256, thumbnailSize: stored.size };
      });
      if (!updated) {
        // Deleted meanwhile, or another delivery won: these bytes may be nobody's.
        await refs.discard(stored.sha256);
        return 'ack';
      }
      await announce(updated);
      return 'ack';
    },
  };
};
export type Thumbnails = ReturnType<typeof createThumbnails>;
