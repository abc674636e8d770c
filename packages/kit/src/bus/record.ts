import { type Caller, type EventDef, ParleyError } from '@parley/contracts';
import type { Static } from 'typebox';
import type { Bus, EmitOptions } from './types.ts';

/** Who did it, for the event envelope; a background job (a thumbnail) has no caller. */
export const eventBy = (caller: Caller | null, subject: string): EmitOptions => ({
  actor: caller?.userId ?? null,
  subject,
  ip: caller?.ip ?? null,
  userAgent: caller?.userAgent ?? null,
});

/**
 * Emits a durable event that must not be lost: if the stream cannot store it, the operation fails
 * with 503 rather than succeed unheard (issue 7's outbox will make this part of the transaction).
 */
export const recordEvent = async <E extends EventDef>(
  bus: Bus,
  event: E,
  data: Static<E['data']>,
  options: EmitOptions,
): Promise<void> => {
  try {
    await bus.emit(event, data, options);
  } catch (err) {
    throw new ParleyError('SERVICE_UNAVAILABLE', 'The event stream is unavailable; try again', { cause: err });
  }
};
