import type { Caller } from '@parley/contracts';
import type { EmitOptions } from './types.ts';

/** Who did it, for the event envelope; a background job (a thumbnail) has no caller. */
export const eventBy = (caller: Caller | null, subject: string | null): EmitOptions => ({
  actor: caller?.userId ?? null,
  subject,
  ip: caller?.ip ?? null,
  userAgent: caller?.userAgent ?? null,
});
