import { Type } from 'typebox';
import { defineEvent } from '../endpoint.ts';
import { MediaKind } from './schemas.ts';

/** No bytes, ever: what was stored, by whom, where. */
export const MediaEvents = {
  uploaded: defineEvent(
    'media.uploaded',
    1,
    Type.Object({
      mediaId: Type.String(),
      ownerId: Type.String(),
      kind: MediaKind,
      contentType: Type.String(),
      size: Type.Integer(),
      sha256: Type.String(),
      roomId: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  /** The thumbnail exists: pushed to the room as `media.ready`. */
  ready: defineEvent(
    'media.ready',
    1,
    Type.Object({
      mediaId: Type.String(),
      ownerId: Type.String(),
      roomId: Type.Union([Type.String(), Type.Null()]),
      thumbnailUrl: Type.String(),
    }),
  ),
  deleted: defineEvent('media.deleted', 1, Type.Object({ mediaId: Type.String(), ownerId: Type.String(), kind: MediaKind })),
} as const;
