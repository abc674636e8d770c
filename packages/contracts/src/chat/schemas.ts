import { type Static, Type } from 'typebox';
import { Id } from '../auth/schemas.ts';
import { MediaKind } from '../media/schemas.ts';

/** A message's text: at most this many characters (UTF-16 code units, as JSON Schema counts). */
export const MESSAGE_MAX_CHARS = 4000;
export const ROOM_NAME_MAX_CHARS = 100;
/** Members named when a room is created, besides its creator. */
export const ROOM_INITIAL_MEMBERS_MAX = 100;

/** Something besides white space, and no U+0000 (no Postgres text column can hold it). Linear: anchored, one lookahead. */
const VISIBLE_TEXT = '^(?=[^\\u0000]*$)[\\s\\S]*\\S';
export const RoomName = Type.String({ minLength: 1, maxLength: ROOM_NAME_MAX_CHARS, pattern: VISIBLE_TEXT });
export const MessageText = Type.String({ minLength: 1, maxLength: MESSAGE_MAX_CHARS, pattern: VISIBLE_TEXT });

export const RoomRole = Type.Enum(['owner', 'member']);
export type RoomRole = Static<typeof RoomRole>;

export const Room = Type.Object({
  id: Type.String(),
  name: Type.String(),
  ownerId: Type.String(),
  memberCount: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  /** When the last message was posted (the room's creation until then): `GET /rooms` lists by it, newest first. */
  lastActivityAt: Type.String({ format: 'date-time' }),
});
export type Room = Static<typeof Room>;

export const RoomMember = Type.Object({
  userId: Type.String(),
  role: RoomRole,
  joinedAt: Type.String({ format: 'date-time' }),
});
export type RoomMember = Static<typeof RoomMember>;

export const RoomDetail = Type.Object({ ...Room.properties, members: Type.Array(RoomMember) });
export type RoomDetail = Static<typeof RoomDetail>;

/** What a message says about an attachment: enough to show it, never the bytes. */
export const MessageMedia = Type.Object({
  id: Type.String(),
  kind: MediaKind,
  contentType: Type.String(),
  size: Type.Integer(),
  filename: Type.String(),
  /** The API path of the bytes; readable by the room's members. */
  url: Type.String(),
  thumbnailUrl: Type.Union([Type.String(), Type.Null()]),
});
export type MessageMedia = Static<typeof MessageMedia>;

/**
 * The sender's own id for a message: posting again with the same one (after a timeout, a dropped
 * connection) gives back the message already stored instead of a second copy.
 */
export const ClientMessageId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' });

export const Message = Type.Object({
  id: Type.String(),
  roomId: Type.String(),
  senderId: Type.String(),
  /** Given by the sender when posting, so it can recognise its own message and retry safely. */
  clientMessageId: Type.Union([Type.String(), Type.Null()]),
  /** '' for a message that only carries an attachment. */
  text: Type.String(),
  media: Type.Union([MessageMedia, Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Message = Static<typeof Message>;

/**
 * What a user's sockets are told, before it is numbered: stored once per event in chat-notify's
 * feed, then numbered per recipient (`seq`) so a client that reconnects can ask for what it missed.
 */
export const FeedEvent = Type.Union([
  Type.Object({ type: Type.Literal('message.created'), roomId: Type.String(), message: Message }),
  Type.Object({
    type: Type.Literal('room.member.added'),
    roomId: Type.String(),
    /** The room as it is after the change (the added user learns its name). */
    room: Room,
    member: RoomMember,
    by: Type.String(),
  }),
  Type.Object({
    type: Type.Literal('room.member.removed'),
    roomId: Type.String(),
    userId: Type.String(),
    by: Type.String(),
    /** `left` when the user removed themselves. */
    reason: Type.Enum(['removed', 'left']),
  }),
  Type.Object({
    type: Type.Literal('media.ready'),
    roomId: Type.Union([Type.String(), Type.Null()]),
    mediaId: Type.String(),
    thumbnailUrl: Type.String(),
  }),
]);
export type FeedEvent = Static<typeof FeedEvent>;
export type FeedEventType = FeedEvent['type'];

/** A feed event as one user receives it: `seq` is 1, 2, 3… per user, with no gaps. */
export const NumberedEvent = Type.Intersect([FeedEvent, Type.Object({ seq: Type.Integer({ minimum: 1 }) })]);
export type NumberedEvent = FeedEvent & { seq: number };

/**
 * The live push, published by chat-notify after the event is committed to the feed: one message
 * per event, naming each recipient's seq. Core NATS, no queue group: every gateway hears every push
 * and hands it to the sockets it holds. At most once — a gateway that sees a seq jump reads the
 * missing ones from the feed.
 */
export const PushSubject = 'push.feed';
export const Push = Type.Object({
  event: FeedEvent,
  /** `[userId, seq]` pairs. */
  recipients: Type.Array(Type.Tuple([Type.String(), Type.Integer({ minimum: 1 })])),
});
export type Push = Static<typeof Push>;

export const RoomIdParams = Type.Object({ id: Id });
export const RoomMemberParams = Type.Object({ id: Id, userId: Id });
