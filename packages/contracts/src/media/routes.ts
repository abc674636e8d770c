import { type Static, Type } from 'typebox';
import { ListQuery, Page } from '../auth/schemas.ts';
import { route } from '../routes.ts';
import { MediaKind, MediaObject } from './schemas.ts';

const media = ['media'] as const;

export const MediaIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** What `POST /media` takes as `kind` (an avatar goes through `PUT /users/me/avatar`). */
export const UploadKinds = ['image', 'sticker', 'voice', 'file'] as const;
export const UploadKind = Type.Enum(UploadKinds);
export type UploadKind = Static<typeof UploadKind>;

/** `?sig=&exp=` of a signed media URL: it reads without an access token until `exp` (epoch seconds). */
export const SignedUrlQuery = Type.Object({
  sig: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  exp: Type.Optional(Type.Integer({ minimum: 0 })),
});

export const AvatarReply = Type.Object({ avatarUrl: Type.Union([Type.String(), Type.Null()]) });

/**
 * The JSON media routes. The multipart uploads (`POST /media`, `PUT /users/me/avatar`) and the
 * byte routes (`GET|HEAD /media/:id[/thumbnail]`) are not JSON: `MediaPaths` names them.
 */
export const MediaRoutes = {
  listMine: route({
    method: 'GET',
    url: '/users/me/media',
    summary: 'My uploads, newest first, optionally of one kind',
    tags: media,
    query: Type.Object({ kind: Type.Optional(MediaKind), ...ListQuery.properties }),
    status: 200,
    reply: Page(MediaObject),
    auth: true,
  }),
  delete: route({
    method: 'DELETE',
    url: '/media/:id',
    summary: 'Delete one of my uploads (its bytes go once nothing else uses them)',
    tags: media,
    params: MediaIdParams,
    status: 204,
    reply: Type.Null(),
    auth: true,
  }),
} as const;

/** Under `/api/v1`, Fastify syntax. */
export const MediaPaths = {
  upload: '/media',
  avatar: '/users/me/avatar',
  original: '/media/:id',
  thumbnail: '/media/:id/thumbnail',
} as const;
