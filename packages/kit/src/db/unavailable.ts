import { setTimeout as sleep } from 'node:timers/promises';
import { ParleyError } from '@parley/contracts';

/** What a client should wait before trying again: a restarting Postgres is back within seconds. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

/** postgres.js's codes for a connection that closed, was ended, or never came up. */
const CLIENT_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT']);

/** The socket failing on the way to the server (refused while it is down, reset when it stops, no route, no DNS). */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that is not there for us right now: class 08 (connection exception),
 * 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now ("starting up", "shutting
 * down"), 53300 too_many_connections.
 */
const isUnavailableState = (code: string): boolean =>
  code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';

const codeOf = (err: object): string | undefined => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
};

const isPostgresError = (err: object): boolean => (err as { name?: unknown }).name === 'PostgresError';

const matches = (err: object): boolean => {
  const code = codeOf(err);
  if (code === undefined) return false;
  if (isPostgresError(err)) return isUnavailableState(code);
  return CLIENT_CODES.has(code) || SOCKET_CODES.has(code);
};

/**
 * Whether `err` means "the database cannot be reached right now" rather than "this query is wrong":
 * looks through drizzle's DrizzleQueryError, any `cause` chain and AggregateErrors (one per address
 * tried). The one place that decides it; the bus edge turns it into 503 SERVICE_UNAVAILABLE.
 */
export const isDatabaseUnavailable = (err: unknown): boolean => {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    if (matches(current)) return true;
    stack.push((current as { cause?: unknown }).cause);
    if (current instanceof AggregateError) stack.push(...current.errors);
  }
  return false;
};

/** A short reason for logs (the code and message of the error that decided it), never parameters. */
export const unavailableReason = (err: unknown): string => {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    if (matches(current)) {
      const { message } = current as { message?: unknown };
      return `${codeOf(current)}: ${typeof message === 'string' ? message : ''}`.slice(0, 200);
    }
    current = (current as { cause?: unknown }).cause ?? (current instanceof AggregateError ? current.errors[0] : undefined);
  }
  return err instanceof Error ? err.message.slice(0, 200) : String(err);
};

/** The coded error a request gets while the database is away: 503 with Retry-After, no internals. */
export const databaseUnavailable = (cause?: unknown): ParleyError =>
  new ParleyError('SERVICE_UNAVAILABLE', 'Database unavailable; try again shortly', {
    extra: { retryAfter: DATABASE_RETRY_AFTER_SECONDS },
    cause,
  });

export interface RetryWhileUnavailableOptions {
  /** Give up (throw the last error) once this long has passed. */
  maxWaitMs: number;
  /** First pause; doubles up to `maxDelayMs`. Default 100. */
  minDelayMs?: number;
  /** Default 1000: the work resumes within about a second of the database's return. */
  maxDelayMs?: number;
}

/**
 * Runs `fn`, and again while it fails because the database is unavailable, for up to `maxWaitMs`.
 * Any other error is thrown at once. For work nobody waits on (event deliveries, outcomes of sent
 * mail): held through a short outage it neither uses up its redeliveries nor happens twice.
 */
export const retryWhileDatabaseUnavailable = async <T>(
  fn: () => Promise<T>,
  { maxWaitMs, minDelayMs = 100, maxDelayMs = 1_000 }: RetryWhileUnavailableOptions,
): Promise<T> => {
  const deadline = Date.now() + maxWaitMs;
  for (let delay = minDelayMs; ; delay = Math.min(delay * 2, maxDelayMs)) {
    try {
      return await fn();
    } catch (err) {
      if (!isDatabaseUnavailable(err) || Date.now() + delay > deadline) throw err;
      await sleep(delay);
    }
  }
};
