import type { Db } from '@parley/kit';
import { createIdentitiesRepository } from './identities.ts';
import { createPhotosRepository } from './photos.ts';

/** Every repository on one connection: the pool, or a transaction. */
export const createRepositories = (db: Db) => ({
  identities: createIdentitiesRepository(db),
  photos: createPhotosRepository(db),
});
export type Repositories = ReturnType<typeof createRepositories>;
