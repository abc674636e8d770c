import { Type } from 'typebox';
import { Id, ListQuery, Page } from '../auth/schemas.ts';
import { MediaObject } from '../media/schemas.ts';
import { route } from '../routes.ts';
import {
  ClientMessageId,
  Message,
  MessageText,
  ROOM_INITIAL_MEMBERS_MAX,
  Room,
  RoomDetail,
  RoomIdParams,
  RoomMember,
  RoomMemberParams,
  RoomName,
} from './schemas.ts';

const rooms = ['rooms'] as const;

/** `POST /rooms/:id/attachments` answers with the message it posted and the stored media. */
export const AttachmentReply = Type.Object({ message: Message, media: MediaObject });

/** The JSON rooms and messages routes. The multipart attachment upload and the WebSocket are in `ChatPaths`. */
export const ChatRoutes = {
  createRoom: route({
    method: 'POST',
    url: '/rooms',
    summary: 'Create a room: I am its owner; `memberIds` join it at once',
    tags: rooms,
    body: Type.Object(
      { name: RoomName, memberIds: Type.Optional(Type.Array(Id, { maxItems: ROOM_INITIAL_MEMBERS_MAX })) },
      { additionalProperties: false },
    ),
    status: 201,
    reply: RoomDetail,
    auth: true,
  }),
  listRooms: route({
    method: 'GET',
    url: '/rooms',
    summary: 'The rooms I am a member of, most recent activity first',
    tags: rooms,
    query: ListQuery,
    status: 200,
    reply: Page(Room),
    auth: true,
  }),
  getRoom: route({
    method: 'GET',
    url: '/rooms/:id',
    summary: 'A room with its members (members only; anyone else gets 404)',
    tags: rooms,
    params: RoomIdParams,
    status: 200,
    reply: RoomDetail,
    auth: true,
  }),
  addMember: route({
    method: 'POST',
    url: '/rooms/:id/members',
    summary: 'Add a member (the owner only); pushed to the room as room.member.added',
    tags: rooms,
    params: RoomIdParams,
    body: Type.Object({ userId: Id }, { additionalProperties: false }),
    status: 201,
    reply: RoomMember,
    auth: true,
  }),
  removeMember: route({
    method: 'DELETE',
    url: '/rooms/:id/members/:userId',
    summary: 'Remove a member (the owner), or leave (my own id); pushed as room.member.removed',
    tags: rooms,
    params: RoomMemberParams,
    status: 204,
    reply: Type.Null(),
    auth: true,
  }),
  postMessage: route({
    method: 'POST',
    url: '/rooms/:id/messages',
    summary:
      'Post a message; pushed to every member’s sockets as message.created. The same `clientMessageId` again returns the stored one',
    tags: rooms,
    params: RoomIdParams,
    body: Type.Object({ text: MessageText, clientMessageId: Type.Optional(ClientMessageId) }, { additionalProperties: false }),
    status: 201,
    reply: Message,
    auth: true,
  }),
  listMessages: route({
    method: 'GET',
    url: '/rooms/:id/messages',
    summary: 'History, newest first: `before` (a message id) or `cursor` pages back',
    tags: rooms,
    params: RoomIdParams,
    query: Type.Object({ before: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), ...ListQuery.properties }),
    status: 200,
    reply: Page(Message),
    auth: true,
  }),
} as const;

/** Under `/api/v1`, Fastify syntax. */
export const ChatPaths = {
  attachments: '/rooms/:id/attachments',
  ws: '/ws',
} as const;
