import type { Caller, EventDef } from '@parley/contracts';
import type { Bus, EmitOptions } from '@parley/kit';
import type { Static } from 'typebox';
import { unavailable } from '../errors.ts';

/** Who did it, for the envelope; a background job (a thumbnail) has no caller. */
export const who = (caller: Caller | null, subject: string): EmitOptions => ({
  actor: caller?.userId ?? null,
  subject,
  ip: caller?.ip ?? null,
  userAgent: caller?.userAgent ?? null,
});

/**
 * Emits a media event durably. If it cannot be stored the operation fails (503): an upload nobody
 * hears of would never get its thumbnail, a deletion nobody hears of would stay in the room.
 */
export const record = async <E extends EventDef>(
  bus: Bus,
  event: E,
  data: Static<E['data']>,
  options: EmitOptions,
): Promise<void> => {
  try {
    await bus.emit(event, data, options);
  } catch (err) {
    throw unavailable('The event stream', err);
  }
};
