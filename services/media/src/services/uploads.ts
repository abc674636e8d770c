import { randomBytes } from 'node:crypto';
import {
  acceptsType,
  type EndpointRequest,
  ImageKinds,
  type MediaEndpoints,
  MediaEvents,
  type MediaObject,
  ParleyError,
} from '@parley/contracts';
import { eventBy } from '@parley/kit';
import type { MediaRow } from '../db/schema/media-objects.ts';
import { mediaError } from '../errors.ts';
import { type BlobRefs, readAll } from './blobs.ts';
import type { MediaDeps } from './deps.ts';
import { type ImageInfo, probeImage } from './images.ts';
import { limiter } from './limiter.ts';
import type { Rooms } from './rooms.ts';
import type { Views } from './views.ts';

type RegisterRequest = EndpointRequest<typeof MediaEndpoints.register>;

// Reading a header holds the whole image in memory (at most the kind's limit): bound how many at once.
const CONCURRENT_PROBES = 4;

/** Opaque and unguessable: 128 random bits, URL-safe. */
export const newMediaId = (): string => randomBytes(16).toString('base64url');

/** For display and Content-Disposition only: no path, no control characters. */
export const cleanFilename = (name: string): string => {
  const base = name.split(/[/\\]/).pop() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  return clean.slice(0, 255) || 'untitled';
};

export const createUploads = (deps: MediaDeps, refs: BlobRefs, rooms: Rooms, views: Views) => {
  const { config, rules, store, transaction, now, log } = deps;
  const slot = limiter(CONCURRENT_PROBES);

  /** Everything that can refuse an upload, before anything is written. */
  const inspect = async (req: RegisterRequest, size: number): Promise<ImageInfo | null> => {
    const { kind, contentType, sha256 } = req;
    // Again, though the gateway checked while streaming: no caller of the bus is trusted with limits.
    if (!acceptsType(rules, kind, contentType)) {
      throw mediaError('UNSUPPORTED_FILE_TYPE', `A ${kind} cannot be of type ${contentType}`);
    }
    if (size > rules[kind].maxBytes) {
      throw mediaError('FILE_TOO_LARGE', `A ${kind} may be at most ${rules[kind].maxBytes} bytes`);
    }
    if (req.roomId && !(await rooms.isMember(req.roomId, req.caller.userId))) {
      throw new ParleyError('NOT_FOUND', 'No such room');
    }
    if (!ImageKinds.includes(kind)) return null;
    return slot(async () => {
      const stream = await store.get(sha256);
      if (!stream) throw mediaError('BLOB_MISSING', 'The uploaded bytes are gone; upload again');
      return probeImage(await readAll(stream, rules[kind].maxBytes), contentType, config.MAX_IMAGE_PIXELS);
    });
  };

  return {
    async register(req: RegisterRequest): Promise<MediaObject> {
      const { caller, kind, sha256, contentType } = req;
      const stat = await store.stat(sha256);
      if (!stat) throw mediaError('BLOB_MISSING', 'The uploaded bytes are gone; upload again');
      if (stat.size !== req.size)
        log.warn({ sha256, declared: req.size, stored: stat.size }, 'media: size differs from the store');
      let row: MediaRow;
      try {
        const image = await inspect(req, stat.size);
        // The row and its event together: without the event the upload would get no thumbnail and
        // never reach the room, so if it cannot be stored there is no upload either (503).
        row = await transaction(async (tx) => {
          const { size } = await refs.reference(tx, sha256);
          const inserted = await tx.media.insert({
            id: newMediaId(),
            ownerId: caller.userId,
            kind,
            contentType,
            sizeBytes: size,
            sha256,
            createdAt: now(),
            filename: cleanFilename(req.filename),
            roomId: req.roomId ?? null,
            width: image?.width ?? null,
            height: image?.height ?? null,
          });
          const { id: mediaId, roomId } = inserted;
          const data = { mediaId, ownerId: caller.userId, kind, contentType, size, sha256, roomId };
          await tx.events.stage(MediaEvents.uploaded, data, eventBy(caller, caller.userId));
          return inserted;
        });
      } catch (err) {
        // Refused bytes must not linger in the store (unless another upload uses the same bytes).
        await refs.discard(sha256);
        throw err;
      }
      return views.toMediaObject(row);
    },
  };
};
export type Uploads = ReturnType<typeof createUploads>;
