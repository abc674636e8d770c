import type { Readable } from 'node:stream';
import { mediaError } from '../errors.ts';
import type { Repositories } from '../repositories/index.ts';
import type { MediaDeps } from './deps.ts';

// A blob at zero refs for this long was left by a copy that stopped between release and delete.
const SWEEP_GRACE_MS = 60_000;
const SWEEP_BATCH = 100;

/**
 * Reference counting of the blob store's bytes. The invariant: bytes are deleted only while their
 * advisory lock is held and their count is zero, and a new reference is added only while the same
 * lock is held and the bytes were just seen in the store. So a registration racing the deletion of
 * the same bytes either sees them gone (BLOB_MISSING: upload again) or keeps them alive.
 */
export const createBlobRefs = (deps: Pick<MediaDeps, 'repos' | 'transaction' | 'store' | 'now' | 'log'>) => {
  const { repos, transaction, store, now, log } = deps;

  /** Deletes the bytes if nothing references them; `orphan`: also when no count exists at all. */
  const collect = async (sha256: string, orphan: boolean): Promise<void> => {
    await transaction(async (repos) => {
      await repos.blobs.lock(sha256);
      const row = await repos.blobs.find(sha256);
      if (row ? row.refs > 0 : !orphan) return;
      // Inside the transaction: if the delete fails, the count stays and the sweeper tries again.
      await store.delete(sha256);
      if (row) await repos.blobs.remove(sha256);
    });
  };

  return {
    /** Inside the caller's transaction: one more reference, if the bytes are (still) there. */
    async reference(repos: Repositories, sha256: string): Promise<{ size: number }> {
      await repos.blobs.lock(sha256);
      const stat = await store.stat(sha256);
      if (!stat) throw mediaError('BLOB_MISSING', 'The uploaded bytes are gone; upload again');
      await repos.blobs.reference(sha256, stat.size, now());
      return stat;
    },

    /** Inside the caller's transaction: one reference fewer; true when none is left (then `collect` after commit). */
    async release(repos: Repositories, sha256: string): Promise<boolean> {
      return (await repos.blobs.release(sha256, now())) === 0;
    },

    /** After the commit that released the last reference. */
    collect: (sha256: string) => collect(sha256, false),

    /** Bytes a refused registration leaves behind, unless something else references them. */
    async discard(sha256: string): Promise<void> {
      await collect(sha256, true).catch((err) => log.warn({ err, sha256 }, 'media: could not discard refused bytes'));
    },

    /** Deletes what copies that stopped mid-way left at zero refs. */
    async sweep(): Promise<number> {
      const before = new Date(now().getTime() - SWEEP_GRACE_MS);
      const shas = await repos.blobs.unreferenced(before, SWEEP_BATCH);
      for (const sha of shas) await collect(sha, false);
      return shas.length;
    },
  };
};
export type BlobRefs = ReturnType<typeof createBlobRefs>;

/** The whole blob in memory, refusing more than `maxBytes` (callers only read what limits already bound). */
export const readAll = async (stream: Readable, maxBytes: number): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      stream.destroy();
      throw mediaError('FILE_TOO_LARGE', 'The stored bytes are larger than registered');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
};
