import type { MediaRules } from '@parley/contracts';
import type { BlobStore, Bus, Db, Logger, StagedEvents } from '@parley/kit';
import type { MediaConfig } from '../config.ts';
import type { Repositories } from '../repositories/index.ts';

/** Every time the domain reads is this clock's, so tests can move it instead of sleeping. */
export type Clock = () => Date;

/** Repositories bound to one transaction, and the events written in it. */
export type TxRepositories = Repositories & { events: StagedEvents };

/** What the domain needs, built once in app.ts. */
export interface MediaDeps {
  config: MediaConfig;
  rules: MediaRules;
  db: Db;
  repos: Repositories;
  /**
   * Runs `fn` in one transaction with repositories and event staging bound to it: the events are
   * published if and only if it commits. Inside, use only those: on PGlite (one connection) a query
   * through the pool would wait for the transaction forever.
   */
  transaction<T>(fn: (tx: TxRepositories) => Promise<T>): Promise<T>;
  bus: Bus;
  store: BlobStore;
  log: Logger;
  now: Clock;
}

export const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
