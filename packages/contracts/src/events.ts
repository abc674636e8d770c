import { type Static, Type } from 'typebox';

/**
 * The envelope every durable event travels in. `id` is the idempotency key
 * (JetStream's Nats-Msg-Id and the consumers' dedupe key).
 */
export const EventEnvelope = Type.Object({
  id: Type.String(),
  type: Type.String(),
  version: Type.Integer({ minimum: 1 }),
  at: Type.String({ format: 'date-time' }),
  source: Type.String({ description: 'The service that emitted it' }),
  actor: Type.Union([Type.String(), Type.Null()]),
  subject: Type.Union([Type.String(), Type.Null()]),
  requestId: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  userAgent: Type.Union([Type.String(), Type.Null()]),
  data: Type.Unknown(),
});
export type EventEnvelope = Static<typeof EventEnvelope>;
