import { createFsBlobStore } from './fs.ts';
import { createNatsBlobStore } from './nats.ts';
import type { BlobStore, BlobStoreOptions } from './types.ts';

export { assertSha256, blobBucketName } from './shared.ts';
export type * from './types.ts';

/** The store `options.driver` names: `fs` under DATA_DIR, or `nats` (JetStream Object Store, needs `natsUrl`). */
export const createBlobStore = async (options: BlobStoreOptions): Promise<BlobStore> => {
  if (options.driver === 'nats') return createNatsBlobStore(options);
  if (options.driver === 'fs') return createFsBlobStore(options);
  throw new Error(`unknown blob store driver: ${String(options.driver)}`);
};
