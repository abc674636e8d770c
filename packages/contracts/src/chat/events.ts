import { Type } from 'typebox';
import { defineEvent } from '../endpoint.ts';

/** Durable (audit) events of chat-notify. Never the text of a message, never a mail's body. */
export const ChatEvents = {
  roomCreated: defineEvent(
    'chat.room.created',
    1,
    Type.Object({ roomId: Type.String(), ownerId: Type.String(), memberIds: Type.Array(Type.String()) }),
  ),
  memberAdded: defineEvent(
    'chat.room.member.added',
    1,
    Type.Object({ roomId: Type.String(), userId: Type.String(), by: Type.String() }),
  ),
  memberRemoved: defineEvent(
    'chat.room.member.removed',
    1,
    Type.Object({
      roomId: Type.String(),
      userId: Type.String(),
      by: Type.String(),
      /** Set when the owner left and ownership passed on. */
      newOwnerId: Type.Union([Type.String(), Type.Null()]),
      roomDeleted: Type.Boolean(),
    }),
  ),
  messagePosted: defineEvent(
    'chat.message.created',
    1,
    Type.Object({
      messageId: Type.String(),
      roomId: Type.String(),
      senderId: Type.String(),
      mediaId: Type.Union([Type.String(), Type.Null()]),
      length: Type.Integer(),
    }),
  ),
  /** A mail went out (the address is the recipient's own account data; no subject, no body). */
  mailSent: defineEvent('notify.mail.sent', 1, Type.Object({ mailId: Type.String(), attempts: Type.Integer() })),
  /** A mail ran out of attempts. */
  mailFailed: defineEvent(
    'notify.mail.failed',
    1,
    Type.Object({ mailId: Type.String(), attempts: Type.Integer(), error: Type.String() }),
  ),
} as const;
