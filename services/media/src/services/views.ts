import type { MediaKind, MediaObject } from '@parley/contracts';
import type { MediaRow } from '../db/schema/media-objects.ts';
import type { UrlSigner, Variant } from './signing.ts';

/** API paths as the gateway serves them. */
export const mediaPath = (id: string): string => `/api/v1/media/${id}`;
export const thumbnailPath = (id: string): string => `/api/v1/media/${id}/thumbnail`;

export const createViews = (signer: UrlSigner, publicUrl: string) => {
  const base = publicUrl.replace(/\/+$/, '');
  const signedUrl = async (id: string, variant: Variant, path: string): Promise<string> => {
    const { exp, sig } = await signer.sign(id, variant);
    return `${base}${path}?exp=${exp}&sig=${sig}`;
  };
  return {
    async toMediaObject(row: MediaRow): Promise<MediaObject> {
      const thumbnail = row.thumbnailSha256 !== null;
      return {
        id: row.id,
        ownerId: row.ownerId,
        kind: row.kind as MediaKind,
        contentType: row.contentType,
        size: row.sizeBytes,
        filename: row.filename,
        roomId: row.roomId,
        width: row.width,
        height: row.height,
        url: mediaPath(row.id),
        thumbnailUrl: thumbnail ? thumbnailPath(row.id) : null,
        signedUrl: await signedUrl(row.id, 'original', mediaPath(row.id)),
        signedThumbnailUrl: thumbnail ? await signedUrl(row.id, 'thumbnail', thumbnailPath(row.id)) : null,
        createdAt: row.createdAt.toISOString(),
      };
    },
  };
};
export type Views = ReturnType<typeof createViews>;
