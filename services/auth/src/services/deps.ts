import type { Bus, Db, Logger, Outbox, StagedEvents } from '@parley/kit';
import type { AuthConfig } from '../config.ts';
import type { Repositories } from '../repositories/index.ts';
import type { MailQueue } from './mail.ts';
import type { Passwords } from './passwords.ts';
import type { SigningKeys } from './signing-keys.ts';

/** Every time the domain reads is this clock's, so tests can move it instead of sleeping. */
export type Clock = () => Date;

/** Repositories bound to one transaction, and the events written in it. */
export type TxRepositories = Repositories & { events: StagedEvents };

/** What the domain needs, built once in app.ts. */
export interface AuthDeps {
  config: AuthConfig;
  db: Db;
  repos: Repositories;
  /**
   * Runs `fn` in one transaction with repositories and event staging bound to it: the events are
   * published if and only if it commits. Inside, use only those: on PGlite (one connection) a query
   * through the pool would wait for the transaction forever.
   */
  transaction<T>(fn: (tx: TxRepositories) => Promise<T>): Promise<T>;
  /** For events with no change of their own (a failed login): `record` stores one before the answer, else 503. */
  outbox: Outbox;
  bus: Bus;
  /** chat-notify's mail queue: auth renders its mails, chat-notify sends them. */
  mailer: MailQueue;
  passwords: Passwords;
  keys: SigningKeys;
  log: Logger;
  now: Clock;
  /** Runs work after the reply (mails whose timing must not tell whether an account exists); awaited on close. */
  background(task: () => Promise<void>): void;
  /** Lower-cased ADMIN_EMAILS. */
  admins: ReadonlySet<string>;
}

export const addSeconds = (date: Date, seconds: number): Date => new Date(date.getTime() + seconds * 1000);
export const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
