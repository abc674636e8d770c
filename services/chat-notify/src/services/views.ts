import type { Message, Room, RoomDetail, RoomMember } from '@parley/contracts';
import type { MessageRow } from '../db/schema/messages.ts';
import type { RoomMemberRow, Room as RoomRow } from '../db/schema/rooms.ts';

/** Rows as the API shows them. */
export const toRoom = (row: RoomRow, memberCount: number): Room => ({
  id: row.id,
  name: row.name,
  ownerId: row.ownerId,
  memberCount,
  createdAt: row.createdAt.toISOString(),
  lastActivityAt: row.lastActivityAt.toISOString(),
});

export const toMember = (row: RoomMemberRow): RoomMember => ({
  userId: row.userId,
  role: row.role,
  joinedAt: row.joinedAt.toISOString(),
});

export const toDetail = (row: RoomRow, members: RoomMemberRow[]): RoomDetail => ({
  ...toRoom(row, members.length),
  members: members.map(toMember),
});

export const toMessage = (row: MessageRow): Message => ({
  id: row.id,
  roomId: row.roomId,
  senderId: row.senderId,
  clientMessageId: row.clientMessageId ?? null,
  text: row.text,
  media: row.media ?? null,
  createdAt: row.createdAt.toISOString(),
});
