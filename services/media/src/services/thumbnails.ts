import { Readable } from 'node:stream';
import { type EventData, ImageKinds, MediaEvents } from '@parley/contracts';
import { type DeliveredEvent, type EventOutcome, eventBy } from '@parley/kit';
import type { MediaRow } from '../db/schema/media-objects.ts';
import { type BlobRefs, readAll } from './blobs.ts';
import type { MediaDeps } from './deps.ts';
import { makeThumbnail, UnusableImage } from './images.ts';
import { limiter } from './limiter.ts';
import { thumbnailPath } from './views.ts';

type Uploaded = EventData<typeof MediaEvents.uploaded>;

// A decode can hold width × height × 4 bytes; a copy makes this many at once whatever the consumer delivers.
const CONCURRENT_THUMBNAILS = 2;

/**
 * Makes the thumbnail of an uploaded image after the upload has answered. Idempotent: the row takes
 * one thumbnail only (locked, set once), with its `media.ready` in the same transaction, so a
 * redelivery finding it made has nothing left to do.
 */
export const createThumbnails = (deps: MediaDeps, refs: BlobRefs) => {
  const { repos, store, transaction, config, log } = deps;
  const slot = limiter(CONCURRENT_THUMBNAILS);

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
      // Deleted before its thumbnail was made, or made already (a redelivery).
      if (!row || row.thumbnailSha256) return 'ack';
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
        if (!current || current.thumbnailSha256) return false;
        await refs.reference(tx, stored.sha256);
        await tx.media.setThumbnail(mediaId, stored.sha256, stored.size);
        const { ownerId, roomId } = current;
        const data = { mediaId, ownerId, roomId, thumbnailUrl: thumbnailPath(mediaId) };
        await tx.events.stage(MediaEvents.ready, data, eventBy(null, ownerId));
        return true;
      });
      // Deleted meanwhile, or another delivery won: these bytes may be nobody's.
      if (!updated) await refs.discard(stored.sha256);
      return 'ack';
    },
  };
};
export type Thumbnails = ReturnType<typeof createThumbnails>;
