import { type Static, Type } from 'typebox';
import { ClientMessageId, Message, MessageText } from './schemas.ts';

/** `GET /api/v1/ws` query: the access token (browsers cannot set headers) and where to resume. */
export const WsQuery = Type.Object({
  token: Type.Optional(Type.String({ maxLength: 4096 })),
  /** The last `seq` this client saw: everything after it is replayed before live events. */
  since: Type.Optional(Type.Integer({ minimum: 0 })),
});

/** A client's correlation id, echoed on the reply to its frame. */
const Ref = Type.Optional(Type.String({ maxLength: 64 }));

/** Client → server frames (each a JSON text frame of at most 64 KiB). */
export const ClientFrame = Type.Union([
  Type.Object({ type: Type.Literal('ping'), ref: Ref }),
  Type.Object({
    type: Type.Literal('message.send'),
    roomId: Type.String({ minLength: 1, maxLength: 64 }),
    text: MessageText,
    clientMessageId: Type.Optional(ClientMessageId),
    ref: Ref,
  }),
]);
export type ClientFrame = Static<typeof ClientFrame>;

/**
 * Server → client frames besides the numbered feed events (`message.created`, `room.member.added`,
 * `room.member.removed`, `media.ready`, each with `seq`).
 */
export const ControlFrame = Type.Union([
  /**
   * First frame on every connection. `seq` is where this connection starts: the `since` asked for,
   * or the user's latest seq without one. `replaying`: events after `seq` follow, then `replayed`.
   * `reset`: `since` was outside the replay window (older than the oldest kept event, or newer than
   * the latest): what was missed cannot be replayed, so reload rooms and history over HTTP; the
   * stream continues after `seq`.
   */
  Type.Object({
    type: Type.Literal('hello'),
    userId: Type.String(),
    seq: Type.Integer({ minimum: 0 }),
    replaying: Type.Boolean(),
    reset: Type.Boolean(),
  }),
  /** The replay is done: every event up to `seq` was sent. */
  Type.Object({ type: Type.Literal('replayed'), seq: Type.Integer({ minimum: 0 }), count: Type.Integer({ minimum: 0 }) }),
  Type.Object({ type: Type.Literal('pong'), ref: Ref }),
  /** A `message.send` was stored (its `message.created` also arrives, numbered). */
  Type.Object({ type: Type.Literal('message.sent'), ref: Ref, message: Message }),
  /** A frame was refused; the socket stays open. `code` is an API error code (VALIDATION_FAILED, ROOM_NOT_FOUND…). */
  Type.Object({ type: Type.Literal('error'), ref: Ref, code: Type.String(), detail: Type.String() }),
]);
export type ControlFrame = Static<typeof ControlFrame>;

/** Close codes the gateway uses (4000–4999 are the application's own). */
export const WsCloseCodes = {
  /** The gateway is shutting down: reconnect (to another) with `?since=`. */
  GOING_AWAY: 1001,
  /** A frame was not text, or not JSON. */
  UNSUPPORTED_DATA: 1003,
  /** A frame over the 64 KiB limit. */
  TOO_BIG: 1009,
  /** The session was revoked (logout, logout-all, password change) or the account is gone. */
  SESSION_ENDED: 4001,
  /** The client read too slowly: its send buffer passed the cap. Reconnect with `?since=`. */
  SLOW_CONSUMER: 4008,
  /** No pong to the last ping. */
  HEARTBEAT_TIMEOUT: 4002,
} as const;
