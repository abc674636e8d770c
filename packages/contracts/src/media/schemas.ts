import { type Static, Type } from 'typebox';

/** What an upload is for; each kind has its own allow-list of sniffed types and size limit. */
export const MediaKinds = ['image', 'sticker', 'voice', 'file', 'avatar'] as const;
export const MediaKind = Type.Enum(MediaKinds);
export type MediaKind = Static<typeof MediaKind>;

export const MediaObject = Type.Object({
  id: Type.String(),
  ownerId: Type.String(),
  kind: MediaKind,
  /** Decided from the bytes, never from the name or the declared type. */
  contentType: Type.String(),
  size: Type.Integer(),
  /** The client's file name, for display and downloads only: never used to store anything. */
  filename: Type.String(),
  roomId: Type.Union([Type.String(), Type.Null()]),
  width: Type.Union([Type.Integer(), Type.Null()]),
  height: Type.Union([Type.Integer(), Type.Null()]),
  /** The API path of the bytes (`/api/v1/media/<id>`). */
  url: Type.String(),
  /** Set once the thumbnail exists (images only). */
  thumbnailUrl: Type.Union([Type.String(), Type.Null()]),
  /** A signed, expiring URL that works without headers (for `<img src>`). */
  signedUrl: Type.String(),
  /** The same for the thumbnail, once it exists (null before, and for kinds that have none). */
  signedThumbnailUrl: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  createdAt: Type.String({ format: 'date-time' }),
});
export type MediaObject = Static<typeof MediaObject>;

/** How the gateway serves bytes it was allowed to read; the bytes themselves never cross the bus. */
export const MediaReadGrant = Type.Object({
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  size: Type.Integer(),
  contentType: Type.String(),
  filename: Type.String(),
  /** `inline` only for the allow-list of safe image/audio types; everything else downloads. */
  disposition: Type.Union([Type.Literal('inline'), Type.Literal('attachment')]),
  etag: Type.String(),
});
export type MediaReadGrant = Static<typeof MediaReadGrant>;
