import type { Caller, EventDef } from '@parley/contracts';
import type { Bus, EmitOptions, Logger } from '@parley/kit';
import type { Static } from 'typebox';
import type { RequestMeta } from './deps.ts';

/** Who did it, for the envelope; the mail sender has no caller. */
export const who = (caller: Caller | null, subject: string | null, meta: RequestMeta = {}): EmitOptions => ({
  actor: caller?.userId ?? null,
  subject,
  ip: caller?.ip ?? null,
  userAgent: caller?.userAgent ?? null,
  requestId: meta.requestId ?? null,
});

/**
 * Emits an audit event once the change is committed. The change stands whatever happens here: a
 * caller told "503" would post the message again. A lost event is logged as an error instead.
 */
export const announce = async <E extends EventDef>(
  bus: Bus,
  log: Logger,
  event: E,
  data: Static<E['data']>,
  options: EmitOptions,
): Promise<void> => {
  try {
    await bus.emit(event, data, options);
  } catch (err) {
    log.error({ err, event: event.type }, 'chat-notify: audit event could not be stored');
  }
};
