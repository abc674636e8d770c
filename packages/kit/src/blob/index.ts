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

/** The config keys a service's blob store is opened from (every service config with BLOB_STORE has them). */
export interface BlobStoreConfig {
  BLOB_STORE: 'fs' | 'nats';
  DATA_DIR: string;
  NATS_URL?: string | undefined;
  BUS_NAMESPACE: string;
  NATS_STREAM_REPLICAS: number;
}

/** A service's blob store from its config: the media library's (`blobs`), or another by `name`. */
export const openBlobStore = (config: BlobStoreConfig, name?: string): Promise<BlobStore> =>
  createBlobStore({
    driver: config.BLOB_STORE,
    dataDir: config.DATA_DIR,
    natsUrl: config.NATS_URL,
    namespace: config.BUS_NAMESPACE,
    replicas: config.NATS_STREAM_REPLICAS,
    ...(name ? { name } : {}),
  });
