import type { Caller } from '@parley/contracts';
import { type EmitOptions, eventBy } from '@parley/kit';
import type { RequestMeta } from './deps.ts';

/**
 * Who did it, for the envelope; the mail sender has no caller. The request id is named here because
 * a room's queue may run this request's work in another request's async context.
 */
export const who = (caller: Caller | null, subject: string | null, meta: RequestMeta = {}): EmitOptions => ({
  ...eventBy(caller, subject),
  requestId: meta.requestId ?? null,
});
