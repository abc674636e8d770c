import { Type } from 'typebox';
import { defineEvent } from '../endpoint.ts';

/** Durable (audit) events of the face library: never an image, never a descriptor. */
export const FaceEvents = {
  identityCreated: defineEvent('face.identity.created', 1, Type.Object({ identityId: Type.String(), ownerId: Type.String() })),
  identityDeleted: defineEvent(
    'face.identity.deleted',
    1,
    Type.Object({ identityId: Type.String(), ownerId: Type.String(), photos: Type.Integer() }),
  ),
  photosEnrolled: defineEvent(
    'face.photos.enrolled',
    1,
    Type.Object({
      identityId: Type.String(),
      ownerId: Type.String(),
      added: Type.Array(Type.String()),
      rejected: Type.Integer(),
    }),
  ),
  searched: defineEvent(
    'face.searched',
    1,
    Type.Object({
      ownerId: Type.String(),
      faces: Type.Integer(),
      matched: Type.Boolean(),
      identityIds: Type.Array(Type.String()),
    }),
  ),
} as const;

/**
 * Core pub/sub (every face-match copy, no queue group): an owner's library changed, drop its
 * in-memory index so the next search reloads it. A missed one is covered by the index's max age.
 */
export const LibraryChangedSubject = 'faces.library.changed';
export const LibraryChanged = Type.Object({ ownerId: Type.String() });
