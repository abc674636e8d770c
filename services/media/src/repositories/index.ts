import type { Db } from '@parley/kit';
import { createBlobsRepository } from './blobs.ts';
import { createMediaObjectsRepository } from './media-objects.ts';
import { createUrlKeysRepository } from './url-keys.ts';

/** Every repository on one connection: the pool, or a transaction. */
export const createRepositories = (db: Db) => ({
  media: createMediaObjectsRepository(db),
  blobs: createBlobsRepository(db),
  urlKeys: createUrlKeysRepository(db),
});
export type Repositories = ReturnType<typeof createRepositories>;
