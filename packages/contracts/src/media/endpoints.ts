import { Type } from 'typebox';
import { Caller } from '../auth/schemas.ts';
import { endpoint } from '../endpoint.ts';
import { MediaKind, MediaObject, MediaReadGrant } from './schemas.ts';

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });

/**
 * The media service's bus API. Bytes never travel here: the gateway streams them into
 * the blob store and registers what it stored; to serve, it asks for a grant and reads the store.
 */
export const MediaEndpoints = {
  /** Records an upload whose bytes are already in the blob store under `sha256`. */
  register: endpoint(
    'media.register',
    Type.Object({
      caller: Caller,
      kind: MediaKind,
      sha256: Sha256,
      size: Type.Integer({ minimum: 0 }),
      contentType: Type.String({ maxLength: 200 }),
      filename: Type.String({ maxLength: 255 }),
      roomId: Type.Optional(Type.String({ maxLength: 64 })),
    }),
    MediaObject,
  ),
  /** May this caller (or this signed URL) read it? 404 when not, exactly as when it does not exist. */
  grant: endpoint(
    'media.grant',
    Type.Object({
      mediaId: Type.String({ maxLength: 64 }),
      variant: Type.Union([Type.Literal('original'), Type.Literal('thumbnail')]),
      caller: Type.Union([Caller, Type.Null()]),
      signature: Type.Optional(Type.Object({ sig: Type.String({ maxLength: 200 }), exp: Type.Integer() })),
    }),
    MediaReadGrant,
    { idempotent: true },
  ),
  list: endpoint(
    'media.list',
    Type.Object({
      caller: Caller,
      kind: Type.Optional(MediaKind),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
      cursor: Type.Optional(Type.String({ maxLength: 200 })),
    }),
    Type.Object({ items: Type.Array(MediaObject), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
    { idempotent: true },
  ),
  get: endpoint('media.get', Type.Object({ caller: Caller, mediaId: Type.String({ maxLength: 64 }) }), MediaObject, {
    idempotent: true,
  }),
  delete: endpoint(
    'media.delete',
    Type.Object({ caller: Caller, mediaId: Type.String({ maxLength: 64 }) }),
    Type.Object({ done: Type.Literal(true) }),
  ),
} as const;
