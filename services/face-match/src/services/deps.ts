import type { BlobStore, Bus, Logger, Outbox, StagedEvents } from '@parley/kit';
import type { FaceMatchConfig } from '../config.ts';
import type { FacePool } from '../model/pool.ts';
import type { Repositories } from '../repositories/index.ts';
import type { LibraryIndex } from './library-index.ts';

/** Repositories bound to one transaction, and the events written in it. */
export type TxRepositories = Repositories & { events: StagedEvents };

/** What the domain needs, built once in app.ts. */
export interface FaceDeps {
  config: FaceMatchConfig;
  repos: Repositories;
  /**
   * Runs `fn` in one transaction with repositories and event staging bound to it: the events are
   * published if and only if it commits. Inside, use only those: on PGlite (one connection) a query
   * through the pool would wait for the transaction forever.
   */
  transaction<T>(fn: (tx: TxRepositories) => Promise<T>): Promise<T>;
  /** For events with no change of their own (a search): `record` stores one before the answer, else 503. */
  outbox: Outbox;
  bus: Bus;
  /** The scratch store (`FACE_UPLOADS_STORE`) the gateway puts uploaded photos in; read only. */
  uploads: BlobStore;
  pool: FacePool;
  index: LibraryIndex;
  log: Logger;
}
