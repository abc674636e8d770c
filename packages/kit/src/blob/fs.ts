import { randomUUID } from 'node:crypto';
import { type FileHandle, link, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { assertSha256, Meter, resolveRange } from './shared.ts';
import type { BlobStore, BlobStoreOptions } from './types.ts';

/** Temp files older than this were left by a crashed process (an upload in progress is younger). */
const STALE_TEMP_MS = 60 * 60 * 1000;

const isCode = (err: unknown, code: string): boolean => (err as NodeJS.ErrnoException | null)?.code === code;

const ignoreMissing = (err: unknown): null => {
  if (isCode(err, 'ENOENT')) return null;
  throw err;
};

export const blobRoot = (dataDir: string, name = 'blobs'): string =>
  dataDir === 'memory://' ? join(tmpdir(), `parley-${name}-${process.pid}`) : join(dataDir, name);

const sweepTemp = async (tmp: string): Promise<void> => {
  const cutoff = Date.now() - STALE_TEMP_MS;
  for (const name of await readdir(tmp)) {
    const file = join(tmp, name);
    const info = await stat(file).catch(ignoreMissing);
    if (info && info.mtimeMs < cutoff) await unlink(file).catch(ignoreMissing);
  }
};

const writeAll = async (handle: FileHandle, chunk: Uint8Array): Promise<void> => {
  for (let offset = 0; offset < chunk.byteLength; ) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
};

/**
 * Blobs under `<root>/ab/cd/<sha256>`, written to `<root>/tmp/<random>` first (same filesystem)
 * and linked into place only when complete and fsynced, so a sha name never shows partial bytes.
 */
/** Stores open on this process's `memory://` folder: every store in one process shares it (embedded mode), the last one out removes it. */
let memoryStoresOpen = 0;

export const createFsBlobStore = async (options: BlobStoreOptions): Promise<BlobStore> => {
  const root = blobRoot(options.dataDir, options.name);
  const inMemory = options.dataDir === 'memory://';
  if (inMemory) memoryStoresOpen++;
  let closed = false;
  const tmp = join(root, 'tmp');
  await mkdir(tmp, { recursive: true });
  await sweepTemp(tmp);
  const pathOf = (sha256: string): string => {
    const sha = assertSha256(sha256);
    return join(root, sha.slice(0, 2), sha.slice(2, 4), sha);
  };

  // link() refuses an existing target atomically, so of two writers of the same bytes exactly one
  // reports `created`; rename() is the fallback for filesystems without hard links.
  const publish = async (tempFile: string, target: string): Promise<boolean> => {
    try {
      await link(tempFile, target);
      return true;
    } catch (err) {
      if (isCode(err, 'EEXIST')) return false;
      if (!['EPERM', 'ENOTSUP', 'ENOSYS', 'EXDEV'].some((code) => isCode(err, code))) throw err;
    }
    if (await stat(target).catch(ignoreMissing)) return false;
    await rename(tempFile, target);
    return true;
  };

  return {
    driver: 'fs',

    async put(source, putOptions = {}) {
      const meter = new Meter(putOptions.maxBytes);
      const tempFile = join(tmp, randomUUID());
      let handle: FileHandle | undefined = await open(tempFile, 'wx');
      try {
        for await (const chunk of meter.measure(source, putOptions.signal)) await writeAll(handle, chunk);
        await handle.sync();
        await handle.close();
        handle = undefined;
        const sha256 = meter.digest();
        const target = pathOf(sha256);
        await mkdir(dirname(target), { recursive: true });
        const created = await publish(tempFile, target);
        return { sha256, size: meter.bytes, created };
      } finally {
        await handle?.close().catch(() => undefined);
        await unlink(tempFile).catch(ignoreMissing);
      }
    },

    async get(sha256, range) {
      const handle = await open(pathOf(sha256), 'r').catch(ignoreMissing);
      if (!handle) return null;
      try {
        const { size } = await handle.stat();
        if (!range && size === 0) {
          await handle.close();
          return Readable.from([]);
        }
        const { start, end } = resolveRange(range, size);
        // The open handle keeps the bytes readable even if the blob is deleted meanwhile.
        return handle.createReadStream({ start, end, autoClose: true });
      } catch (err) {
        await handle.close();
        throw err;
      }
    },

    async stat(sha256) {
      const info = await stat(pathOf(sha256)).catch(ignoreMissing);
      return info ? { size: info.size } : null;
    },

    async delete(sha256) {
      await unlink(pathOf(sha256)).catch(ignoreMissing);
    },

    async close() {
      if (closed) return;
      closed = true;
      if (inMemory && --memoryStoresOpen === 0) await rm(root, { recursive: true, force: true });
    },
  };
};
