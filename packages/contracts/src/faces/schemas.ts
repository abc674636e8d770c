import { type Static, Type } from 'typebox';

export const IDENTITY_NAME_MAX_CHARS = 100;
/** Photos one enrolment request may carry. */
export const PHOTOS_PER_REQUEST_MAX = 10;

export const IdentityName = Type.String({
  minLength: 1,
  maxLength: IDENTITY_NAME_MAX_CHARS,
  pattern: '^(?=[^\\u0000]*$)[\\s\\S]*\\S',
});

export const Identity = Type.Object({
  id: Type.String(),
  name: Type.String(),
  photoCount: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Identity = Static<typeof Identity>;

/** A face's place in the photo as uploaded (after EXIF orientation), in pixels. */
export const FaceBox = Type.Object({
  x: Type.Number(),
  y: Type.Number(),
  width: Type.Number(),
  height: Type.Number(),
});
export type FaceBox = Static<typeof FaceBox>;

export const PhotoRejection = Type.Enum(['NO_FACE', 'MULTIPLE_FACES', 'INVALID_IMAGE']);

export const AddPhotosReply = Type.Object({
  added: Type.Array(Type.Object({ photoId: Type.String(), box: FaceBox, file: Type.String() })),
  /** `file`: the form's file name of the refused photo (or its position, `#2`, when it had none). */
  rejected: Type.Array(Type.Object({ file: Type.String(), code: PhotoRejection, detail: Type.String() })),
});
export type AddPhotosReply = Static<typeof AddPhotosReply>;

export const FaceMatch = Type.Object({
  identityId: Type.String(),
  name: Type.String(),
  /** Euclidean distance between the 128-d face descriptors: lower is more alike. */
  distance: Type.Number(),
  /** 1 − distance, clamped to [0, 1]: higher is more alike. */
  similarity: Type.Number(),
});

export const SearchReply = Type.Object({
  /** True when any face in the photo matched someone in my library (under the threshold). */
  matched: Type.Boolean(),
  faces: Type.Array(Type.Object({ box: FaceBox, match: Type.Union([FaceMatch, Type.Null()]) })),
  threshold: Type.Number(),
});
export type SearchReply = Static<typeof SearchReply>;

/** An uploaded photo as the gateway hands it over: bytes in the face service's scratch blob store (`FACE_UPLOADS_STORE`). */
export const UploadedPhoto = Type.Object({
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  size: Type.Integer({ minimum: 0 }),
  filename: Type.String({ maxLength: 255 }),
});
export type UploadedPhoto = Static<typeof UploadedPhoto>;

/**
 * The name of the blob store (see `createBlobStore({name})`) the gateway streams face photos into
 * and the face service reads them from. Separate from the media library's store, and emptied by the
 * gateway once the request is answered: photos are never kept, only their face descriptors.
 */
export const FACE_UPLOADS_STORE = 'face_uploads';
