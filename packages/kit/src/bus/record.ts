import { type Caller, type EventDef, ParleyError } from '@parley/contracts';
import { DrizzleQueryError } from 'drizzle-orm';
import type { Static } from 'typebox';
import type { Tx } from '../db/types.ts';
import type { Outbox } from '../outbox/outbox.ts';
import type { EmitOptions } from './types.ts';

/** Who did it, for the event envelope; a background job (a thumbnail) has no caller. */
export const eventBy = (caller: Caller | null, subject: string): EmitOptions => ({
  actor: caller?.userId ?? null,
  subject,
  ip: caller?.ip ?? null,
  userAgent: caller?.userAgent ?? null,
});

/** Events written in one transaction: published if and only if it commits. */
export interface StagedEvents {
  stage<E extends EventDef>(event: E, data: Static<E['data']>, options?: EmitOptions): Promise<string>;
}

/**
 * `outbox.transaction(fn)` with `events` staging into `outbox` inside it; published right after a commit
 * that staged any. An event the database refuses to store is a 503 (as `outbox.record` answers): the
 * whole change is rolled back and the caller may try again. Invalid data still throws as the bug it is.
 */
export const transactionWithEvents = async <T>(outbox: Outbox, fn: (tx: Tx, events: StagedEvents) => Promise<T>): Promise<T> => {
  // Through the outbox's own transaction: what is staged is published from memory right after the commit.
  return outbox.transaction((tx) =>
    fn(tx, {
      async stage(event, data, options) {
        try {
          return await outbox.stage(tx, event, data, options);
        } catch (err) {
          if (!(err instanceof DrizzleQueryError)) throw err;
          throw new ParleyError('SERVICE_UNAVAILABLE', 'The event could not be recorded; try again', { cause: err });
        }
      },
    }),
  );
};
