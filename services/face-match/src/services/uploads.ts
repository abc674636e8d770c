import type { UploadedPhoto } from '@parley/contracts';
import type { BlobStore } from '@parley/kit';

/** The photo's bytes from the scratch store, or null when the gateway's blob is not (or no longer) there. */
export const readUpload = async (store: BlobStore, photo: UploadedPhoto): Promise<Buffer | null> => {
  const stream = await store.get(photo.sha256);
  if (!stream) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};
