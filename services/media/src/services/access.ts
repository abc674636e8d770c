import { type EndpointRequest, InlineSafeTypes, type MediaEndpoints, type MediaReadGrant } from '@parley/contracts';
import type { MediaRow } from '../db/schema/media-objects.ts';
import { notFound } from '../errors.ts';
import type { MediaDeps } from './deps.ts';
import type { Rooms } from './rooms.ts';
import type { UrlSigner, Variant } from './signing.ts';

type GrantRequest = EndpointRequest<typeof MediaEndpoints.grant>;

const THUMBNAIL_TYPE = 'image/webp';

/** What the gateway streams for this variant, or null (a thumbnail not made yet). */
const target = (row: MediaRow, variant: Variant) => {
  if (variant === 'original') {
    return { sha256: row.sha256, size: row.sizeBytes, contentType: row.contentType, filename: row.filename };
  }
  if (row.thumbnailSha256 === null || row.thumbnailSize === null) return null;
  const stem = row.filename.replace(/\.[^.]*$/, '') || 'thumbnail';
  return { sha256: row.thumbnailSha256, size: row.thumbnailSize, contentType: THUMBNAIL_TYPE, filename: `${stem}.webp` };
};

/**
 * Who may read: the owner; anyone, for avatars (public profile pictures); whoever holds a valid
 * signature for this media and variant; members of the room it was posted in. Every refusal is the
 * 404 a missing media gets, so probing ids tells nothing.
 */
export const createAccess = (deps: Pick<MediaDeps, 'repos'>, signer: UrlSigner, rooms: Rooms) => {
  const mayRead = async (row: MediaRow, req: GrantRequest): Promise<boolean> => {
    const { caller, signature, variant } = req;
    if (caller && caller.userId === row.ownerId) return true;
    if (row.kind === 'avatar') return true;
    if (signature && (await signer.verify(row.id, variant, signature))) return true;
    if (row.roomId && caller) return rooms.isMember(row.roomId, caller.userId);
    return false;
  };

  return {
    async grant(req: GrantRequest): Promise<MediaReadGrant> {
      const row = await deps.repos.media.find(req.mediaId);
      const bytes = row && target(row, req.variant);
      if (!row || !bytes || !(await mayRead(row, req))) throw notFound();
      return {
        ...bytes,
        disposition: InlineSafeTypes.includes(bytes.contentType) ? 'inline' : 'attachment',
        etag: `"${bytes.sha256}"`,
      };
    },
  };
};
export type Access = ReturnType<typeof createAccess>;
