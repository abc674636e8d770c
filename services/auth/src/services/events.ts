import type { ClientInfo, EventDef } from '@parley/contracts';
import type { Bus } from '@parley/kit';
import type { Static } from 'typebox';
import { unavailable } from '../errors.ts';

export interface Who {
  /** The user acting, or null when nobody is known (a login naming no account). */
  actor: string | null;
  /** The account the event is about, when not the actor's own. */
  subject?: string | null;
  client: ClientInfo;
}

/**
 * Emits an auth event durably. If it cannot be stored the operation fails (503): an action
 * whose record cannot be written must not look successful.
 */
export const record = async <E extends EventDef>(bus: Bus, event: E, data: Static<E['data']>, who: Who): Promise<void> => {
  try {
    await bus.emit(event, data, {
      actor: who.actor,
      subject: who.subject ?? who.actor,
      ip: who.client.ip,
      userAgent: who.client.userAgent,
    });
  } catch (err) {
    throw unavailable('The event log', err);
  }
};
