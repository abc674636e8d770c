import type { Bus, Db, Logger, StagedEvents } from '@parley/kit';
import type { ChatNotifyConfig } from '../config.ts';
import type { Repositories } from '../repositories/index.ts';
import type { RoomQueue } from './room-queue.ts';

/**
 * Every time the domain writes is this clock's, so tests can move it instead of sleeping. Written
 * from JS (milliseconds) rather than by Postgres (microseconds), a row's time in a cursor finds the row again.
 */
export type Clock = () => Date;

/** Who asked, for the audit envelope. */
export interface RequestMeta {
  requestId?: string | undefined;
}

/** Repositories bound to one transaction, and the events written in it. */
export type TxRepositories = Repositories & { events: StagedEvents };

/** What the domain needs, built once in app.ts. */
export interface ChatDeps {
  config: ChatNotifyConfig;
  db: Db;
  repos: Repositories;
  /**
   * Runs `fn` in one transaction with repositories and event staging bound to it: the events are
   * published if and only if it commits. Inside, use only those, and never call the bus: on PGlite
   * (one connection) anything else waits for the transaction forever.
   */
  transaction<T>(fn: (tx: TxRepositories) => Promise<T>): Promise<T>;
  /** Runs a change of a room after this copy's earlier changes of it (see room-queue.ts). */
  inRoom: RoomQueue;
  bus: Bus;
  log: Logger;
  now: Clock;
}
