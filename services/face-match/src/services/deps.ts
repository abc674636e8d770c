import type { BlobStore, Bus, Logger } from '@parley/kit';
import type { FaceMatchConfig } from '../config.ts';
import type { FacePool } from '../model/pool.ts';
import type { Repositories } from '../repositories/index.ts';
import type { LibraryIndex } from './library-index.ts';

/** What the domain needs, built once in app.ts. */
export interface FaceDeps {
  config: FaceMatchConfig;
  repos: Repositories;
  /**
   * Runs `fn` in one transaction with repositories bound to it. Inside, use only those: on PGlite
   * (one connection) a query through the pool would wait for the transaction forever.
   */
  transaction<T>(fn: (repos: Repositories) => Promise<T>): Promise<T>;
  bus: Bus;
  /** The scratch store (`FACE_UPLOADS_STORE`) the gateway puts uploaded photos in; read only. */
  uploads: BlobStore;
  pool: FacePool;
  index: LibraryIndex;
  log: Logger;
}
