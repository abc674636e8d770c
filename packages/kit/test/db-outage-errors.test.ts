import { ParleyError } from '@parley/contracts';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { toWireError } from '../src/bus/codec.ts';
import { databaseUnavailable, isDatabaseUnavailable, retryWhileDatabaseUnavailable } from '../src/db/index.ts';
import { freePort } from '../src/testing/net.ts';

const serverError = (code: string, message = 'from the server') => new postgres.PostgresError({ code, message } as never);

/** What a query through drizzle throws when nothing listens where the database should be. */
const refusedQuery = async (): Promise<unknown> => {
  const client = postgres(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, {
    connect_timeout: 2,
    onnotice: () => {},
  });
  try {
    await drizzle(client).execute(sql`select 1`);
  } catch (err) {
    return err;
  } finally {
    await client.end({ timeout: 0 });
  }
  throw new Error('expected the query to fail');
};

describe('telling a database outage from a failed query', () => {
  it('recognises a refused connection through drizzle, and answers it on the bus as 503 with Retry-After', async () => {
    const err = await refusedQuery();
    expect(err).not.toBeInstanceOf(ParleyError);
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(toWireError(err)).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      status: 503,
      detail: 'Database unavailable; try again shortly',
      extra: { retryAfter: 2 },
    });
  });

  it.each([
    ['08006', 'connection_failure'],
    ['08001', 'sqlclient_unable_to_establish_sqlconnection'],
    ['57P01', 'admin_shutdown'],
    ['57P02', 'crash_shutdown'],
    ['57P03', 'cannot_connect_now'],
    ['53300', 'too_many_connections'],
  ])('a server error %s (%s) is an outage', (code) => {
    expect(isDatabaseUnavailable(serverError(code))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Failed query: select 1', { cause: serverError(code) }))).toBe(true);
  });

  it.each([
    ['23505', 'unique_violation'],
    ['42P01', 'undefined_table'],
    ['22P02', 'invalid_text_representation'],
  ])('a server error %s (%s) is not: it stays a 500', (code) => {
    const err = new Error('Failed query: insert', { cause: serverError(code) });
    expect(isDatabaseUnavailable(err)).toBe(false);
    expect(toWireError(err)).toEqual({ code: 'INTERNAL', status: 500, detail: 'Internal error' });
  });

  it('looks through AggregateErrors (one per address tried) and client-side codes, not through anything else', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' });
    expect(isDatabaseUnavailable(new AggregateError([new Error('other'), refused]))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('MAX_PARAMETERS_EXCEEDED'), { code: 'MAX_PARAMETERS_EXCEEDED' }))).toBe(
      false,
    );
    expect(isDatabaseUnavailable(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
    const loop: Error & { cause?: unknown } = new Error('loop');
    loop.cause = loop;
    expect(isDatabaseUnavailable(loop)).toBe(false);
  });

  it('keeps a coded error as it is, and its own 503 for an outage wraps the cause', () => {
    const coded = new ParleyError('NOT_FOUND', 'No such room');
    expect(toWireError(coded)).toEqual(coded.toWire());
    const wrapped = databaseUnavailable(serverError('57P01'));
    expect(wrapped.status).toBe(503);
    expect(isDatabaseUnavailable(wrapped)).toBe(true);
  });

  it('retries work while the database is unavailable, up to a limit, and other failures not at all', async () => {
    let calls = 0;
    const flaky = () => {
      calls++;
      if (calls < 3) return Promise.reject(serverError('57P03'));
      return Promise.resolve('stored');
    };
    await expect(retryWhileDatabaseUnavailable(flaky, { maxWaitMs: 5_000, minDelayMs: 10 })).resolves.toBe('stored');
    expect(calls).toBe(3);

    calls = 0;
    const broken = () => {
      calls++;
      return Promise.reject(serverError('23505'));
    };
    await expect(retryWhileDatabaseUnavailable(broken, { maxWaitMs: 5_000 })).rejects.toMatchObject({ code: '23505' });
    expect(calls).toBe(1);

    const started = Date.now();
    const down = () => Promise.reject(serverError('57P01'));
    await expect(retryWhileDatabaseUnavailable(down, { maxWaitMs: 300, minDelayMs: 10, maxDelayMs: 50 })).rejects.toMatchObject({
      code: '57P01',
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
