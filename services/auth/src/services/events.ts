import type { ClientInfo } from '@parley/contracts';
import type { EmitOptions } from '@parley/kit';

/**
 * Who an auth event names: `actor` (null when nobody is known, e.g. a login naming no account)
 * acting from `client`, about `subject` (by default the actor's own account).
 */
export const by = (actor: string | null, client: ClientInfo, subject: string | null = actor): EmitOptions => ({
  actor,
  subject,
  ip: client.ip,
  userAgent: client.userAgent,
});
