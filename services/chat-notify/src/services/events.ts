import type { Caller } from '@parley/contracts';
import type { EmitOptions } from '@parley/kit';
import type { RequestMeta } from './deps.ts';

/** Who did it, for the envelope; the mail sender has no caller. */
export const who = (caller: Caller | null, subject: string | null, meta: RequestMeta = {}): EmitOptions => ({
  actor: caller?.userId ?? null,
  subject,
  ip: caller?.ip ?? null,
  userAgent: caller?.userAgent ?? null,
  requestId: meta.requestId ?? null,
});
