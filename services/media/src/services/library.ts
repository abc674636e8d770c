import { type Caller, MediaEvents, type MediaKind, type MediaObject, ParleyError } from '@parley/contracts';
import { eventBy } from '@parley/kit';
import { notFound } from '../errors.ts';
import type { ListCursor } from '../repositories/media-objects.ts';
import type { BlobRefs } from './blobs.ts';
import type { MediaDeps } from './deps.ts';
import type { Views } from './views.ts';

const DEFAULT_LIMIT = 20;

const encodeCursor = (c: ListCursor): string => Buffer.from(JSON.stringify([c.createdAt.getTime(), c.id])).toString('base64url');

const decodeCursor = (cursor: string): ListCursor => {
  try {
    const [ms, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof ms === 'number' && Number.isFinite(ms) && typeof id === 'string') return { createdAt: new Date(ms), id };
  } catch {}
  throw new ParleyError('BAD_REQUEST', 'Invalid cursor');
};

/** The caller's own uploads: listing, reading their metadata, deleting them. */
export const createLibrary = (deps: MediaDeps, refs: BlobRefs, views: Views) => {
  const { repos, transaction, log } = deps;
  return {
    async list(caller: Caller, query: { kind?: MediaKind; limit?: number; cursor?: string }) {
      const limit = query.limit ?? DEFAULT_LIMIT;
      const rows = await repos.media.listByOwner(caller.userId, {
        limit: limit + 1,
        ...(query.kind ? { kind: query.kind } : {}),
        ...(query.cursor ? { after: decodeCursor(query.cursor) } : {}),
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: await Promise.all(page.map((row) => views.toMediaObject(row))),
        nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
      };
    },

    async get(caller: Caller, mediaId: string): Promise<MediaObject> {
      const row = await repos.media.find(mediaId);
      if (!row || row.ownerId !== caller.userId) throw notFound();
      return views.toMediaObject(row);
    },

    /** Gone for everyone at once; the bytes go when nothing else references them. */
    async delete(caller: Caller, mediaId: string): Promise<{ done: true }> {
      const unreferenced = await transaction(async (tx) => {
        const row = await tx.media.lock(mediaId);
        if (!row || row.ownerId !== caller.userId) throw notFound();
        await tx.media.delete(mediaId);
        const last: string[] = [];
        for (const sha of [row.sha256, row.thumbnailSha256]) {
          if (sha && (await refs.release(tx, sha))) last.push(sha);
        }
        // In the same transaction: if the event cannot be stored, nothing is deleted (503).
        const data = { mediaId, ownerId: row.ownerId, kind: row.kind as MediaKind };
        await tx.events.stage(MediaEvents.deleted, data, eventBy(caller, row.ownerId));
        return last;
      });
      for (const sha of unreferenced) {
        // A failure here leaves the count at zero: the sweeper deletes the bytes later.
        await refs.collect(sha).catch((err) => log.warn({ err, sha256: sha }, 'media: bytes left for the sweeper'));
      }
      return { done: true };
    },
  };
};
export type Library = ReturnType<typeof createLibrary>;
