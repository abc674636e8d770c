import type { Bus, Db, Logger } from '@parley/kit';
import type { AuthConfig } from '../config.ts';
import type { Repositories } from '../repositories/index.ts';
import type { MailQueue } from './mail.ts';
import type { Passwords } from './passwords.ts';
import type { SigningKeys } from './signing-keys.ts';

/** Every time the domain reads is this clock's, so tests can move it instead of sleeping. */
export type Clock = () => Date;

/** What the domain needs, built once in app.ts. */
export interface AuthDeps {
  config: AuthConfig;
  db: Db;
  repos: Repositories;
  /**
   * Runs `fn` in one transaction with repositories bound to it. Inside, use only those: on PGlite
   * (one connection) a query through the pool would wait for the transaction forever.
   */
  transaction<T>(fn: (repos: Repositories) => Promise<T>): Promise<T>;
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
