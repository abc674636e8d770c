/** The media service's codes and their statuses. */
export const MediaErrors = {
  FILE_TOO_LARGE: 413,
  /** More pixels than the image limit: refused from the header, never decoded. */
  IMAGE_TOO_LARGE: 413,
  /** The bytes are not of a type this kind accepts (whatever the name or declared type say). */
  UNSUPPORTED_FILE_TYPE: 415,
  INVALID_IMAGE: 422,
  MEDIA_NOT_FOUND: 404,
  /** The blob vanished between upload and registration (a concurrent delete): upload again. */
  BLOB_MISSING: 409,
} as const;
