import type { Caller, EventDef } from '@parley/contracts';
import type { Bus, EmitOptions } from '@parley/kit';
import type { Static } from 'typebox';
import { unavailable } from '../errors.ts';

export const who = (caller: Caller, subject: string): EmitOptions => ({
  actor: caller.userId,
  subject,
  ip: caller.ip,
  userAgent: caller.userAgent,
});

/**
 * Emits an audit event durably, after the change committed. If it cannot be stored the caller gets
 * 503: a change the audit log never hears of is worse than one to retry.
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
    throw unavailable('The audit stream', err);
  }
};
