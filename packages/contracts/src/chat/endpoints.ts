import { Type } from 'typebox';
import { Caller, Id, Page } from '../auth/schemas.ts';
import { endpoint } from '../endpoint.ts';
import {
  ClientMessageId,
  Message,
  MessageMedia,
  MessageText,
  NumberedEvent,
  ROOM_INITIAL_MEMBERS_MAX,
  Room,
  RoomDetail,
  RoomMember,
  RoomName,
} from './schemas.ts';

const Done = Type.Object({ done: Type.Literal(true) });
const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 100 }));
const Cursor = Type.Optional(Type.String({ maxLength: 200 }));

/** The largest page of feed events one `chat.feed.read` returns. */
export const FEED_PAGE_MAX = 500;

/** The chat-notify service's bus API: rooms, messages, the per-user feed the sockets resume from. */
export const ChatEndpoints = {
  /** Is this user a member of this room? The media service asks before serving a room's media to anyone but its owner. */
  membership: endpoint(
    'chat.rooms.membership',
    Type.Object({ roomId: Type.String({ maxLength: 64 }), userId: Type.String({ maxLength: 64 }) }),
    Type.Object({ member: Type.Boolean() }),
    { idempotent: true },
  ),
  /** The caller becomes the owner; `memberIds` must name existing users (404 USER_NOT_FOUND otherwise). */
  createRoom: endpoint(
    'chat.rooms.create',
    Type.Object({
      caller: Caller,
      name: RoomName,
      memberIds: Type.Optional(Type.Array(Id, { maxItems: ROOM_INITIAL_MEMBERS_MAX })),
    }),
    RoomDetail,
  ),
  /** Rooms the caller is a member of, most recent activity first. */
  listRooms: endpoint('chat.rooms.list', Type.Object({ caller: Caller, limit: Limit, cursor: Cursor }), Page(Room), {
    idempotent: true,
  }),
  /** Members only: anyone else gets ROOM_NOT_FOUND, as for a room that does not exist. */
  getRoom: endpoint('chat.rooms.get', Type.Object({ caller: Caller, roomId: Id }), RoomDetail, { idempotent: true }),
  /** Owner only (NOT_ROOM_OWNER for other members); the user must exist; ALREADY_MEMBER when they are in. */
  addMember: endpoint('chat.rooms.members.add', Type.Object({ caller: Caller, roomId: Id, userId: Id }), RoomMember),
  /**
   * The owner removes anyone; a member removes only themselves (leaves). When the owner leaves, the
   * longest-standing member becomes the owner; a room left by its last member is deleted.
   */
  removeMember: endpoint('chat.rooms.members.remove', Type.Object({ caller: Caller, roomId: Id, userId: Id }), Done),
  /**
   * Members only. Text, an attachment, or both (an attachment message may have empty text). With a
   * `clientMessageId` the sender already used in this room, the stored message comes back and nothing is pushed again.
   */
  postMessage: endpoint(
    'chat.messages.post',
    Type.Object({
      caller: Caller,
      roomId: Id,
      text: Type.Union([MessageText, Type.Literal('')]),
      media: Type.Optional(MessageMedia),
      clientMessageId: Type.Optional(ClientMessageId),
    }),
    Message,
  ),
  /** Newest first. `before` (a message id) or `cursor` (a `nextCursor`): messages older than it. */
  listMessages: endpoint(
    'chat.messages.list',
    Type.Object({
      caller: Caller,
      roomId: Id,
      before: Type.Optional(Type.String({ maxLength: 200 })),
      cursor: Cursor,
      limit: Limit,
    }),
    Page(Message),
    { idempotent: true },
  ),
  /**
   * A user's numbered events after `after`, oldest first, at most `limit` (≤ FEED_PAGE_MAX) and at
   * most about 512 KiB of JSON (fewer than asked does not mean the end: compare with `latestSeq`); without
   * `after`, no events, only where the feed stands.
   * `latestSeq`: the user's newest seq (0 before any). `oldestSeq`: the oldest seq still kept
   * (latestSeq + 1 when none is): `after < oldestSeq - 1` means some were pruned and cannot be replayed.
   */
  readFeed: endpoint(
    'chat.feed.read',
    Type.Object({
      userId: Id,
      after: Type.Optional(Type.Integer({ minimum: 0 })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: FEED_PAGE_MAX })),
    }),
    Type.Object({
      events: Type.Array(NumberedEvent),
      latestSeq: Type.Integer({ minimum: 0 }),
      oldestSeq: Type.Integer({ minimum: 1 }),
    }),
    { idempotent: true },
  ),
} as const;

export const MailMessage = Type.Object({
  /** The caller's id for this mail: sending the same id twice queues it once (safe to retry). */
  id: Type.String({ format: 'uuid' }),
  to: Type.String({ format: 'email', maxLength: 254 }),
  subject: Type.String({ minLength: 1, maxLength: 300 }),
  text: Type.String({ maxLength: 100_000 }),
  html: Type.String({ maxLength: 200_000 }),
});

/** Notifications: chat-notify owns outgoing mail (nodemailer: SMTP_URL, else the outbox folder). */
export const NotifyEndpoints = {
  /**
   * Queues one mail durably (in chat-notify's database) and answers once it is stored; sending
   * happens after, retried with backoff until it goes or runs out of attempts.
   */
  sendMail: endpoint('notify.mail.send', MailMessage, Type.Object({ queued: Type.Literal(true) }), { idempotent: true }),
} as const;
