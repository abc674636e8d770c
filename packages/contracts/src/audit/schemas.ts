import { type Static, Type } from 'typebox';
import { Id } from '../auth/schemas.ts';

const Nullable = <T extends import('typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** One stored event, as admins read and export it. `seq` orders the hash chain; `hash` chains it. */
export const StoredEvent = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  id: Type.String(),
  type: Type.String(),
  version: Type.Integer({ minimum: 1 }),
  at: Type.String({ format: 'date-time', description: 'When the producing service made the change' }),
  storedAt: Type.String({ format: 'date-time', description: 'When the audit log stored it' }),
  source: Type.String(),
  actor: Nullable(Type.String()),
  subject: Nullable(Type.String()),
  requestId: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  data: Type.Unknown(),
  hash: Type.String({ description: 'sha256 over the previous hash and this row' }),
});
export type StoredEvent = Static<typeof StoredEvent>;

export const LoginMethodName = Type.String({ description: 'password | email-code | email-verification' });

/** One login attempt on my account, successful or not. */
export const LoginRecord = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  method: LoginMethodName,
  success: Type.Boolean(),
  /** Why a failed one failed (`wrong-password`, `email-not-verified`, …); null for a success. */
  reason: Nullable(Type.String()),
  /** The session a successful login opened (compare with `GET /auth/session` to spot "this one"). */
  sessionId: Nullable(Type.String()),
});
export type LoginRecord = Static<typeof LoginRecord>;

/** `GET /audit/verify`: the hash chain recomputed from the oldest kept row (or the retention checkpoint). */
export const VerifyReport = Type.Object({
  ok: Type.Boolean(),
  /** Rows recomputed. */
  checked: Type.Integer({ minimum: 0 }),
  /** The event id of the first row whose hash or link does not hold. */
  firstBadId: Type.Optional(Type.String()),
  firstBadSeq: Type.Optional(Type.Integer()),
  /** `hash-mismatch` (the row was edited), `broken-link` (a row before it was removed or edited), `head-mismatch` (rows at the end were removed). */
  reason: Type.Optional(Type.String()),
  /** Rows deleted by retention are summarised by this checkpoint; the chain is verified from it. */
  checkpoint: Nullable(
    Type.Object({ throughSeq: Type.Integer(), hash: Type.String(), at: Type.String({ format: 'date-time' }) }),
  ),
  /** The last row's seq and hash (what an operator may note elsewhere to anchor the chain). */
  head: Nullable(Type.Object({ seq: Type.Integer(), hash: Type.String() })),
});
export type VerifyReport = Static<typeof VerifyReport>;

/** Filters of `GET /audit/events` and its NDJSON export. `from` inclusive, `to` exclusive, on the event's `at`. */
export const EventsFilter = Type.Object({
  type: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '^[a-z0-9.-]+(\\.\\*)?$',
      description: 'An event type (`auth.login.succeeded`) or a prefix ending in `.*` (`auth.*`)',
    }),
  ),
  actor: Type.Optional(Id),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
});
export type EventsFilter = Static<typeof EventsFilter>;
