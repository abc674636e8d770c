import { randomUUID } from 'node:crypto';
import { type Caller, ChatEvents, type FeedEvent, type Room, type RoomDetail } from '@parley/contracts';
import type { RoomMemberRow } from '../db/schema/rooms.ts';
import { roomNotFound } from '../errors.ts';
import type { FeedItem } from '../repositories/feed.ts';
import type { RoomCursor } from '../repositories/rooms.ts';
import { decodeCursor, encodeCursor, isSafeInteger } from './cursor.ts';
import type { ChatDeps, RequestMeta } from './deps.ts';
import { who } from './events.ts';
import type { Feed } from './feed.ts';
import type { Users } from './users.ts';
import { toDetail, toMember, toRoom } from './views.ts';

const DEFAULT_LIMIT = 20;

export interface RoomPage {
  items: Room[];
  nextCursor: string | null;
}

const roomCursor = (c: RoomCursor): string => encodeCursor([c.lastActivityAt.getTime(), c.id]);
const readRoomCursor = (cursor: string): RoomCursor => {
  const [ms, id] = decodeCursor(
    cursor,
    (p): p is [number, string] => p.length === 2 && isSafeInteger(p[0]) && typeof p[1] === 'string',
  );
  return { lastActivityAt: new Date(ms), id };
};

/** Creating, listing and reading rooms. Membership changes are in members.ts. */
export const createRooms = (deps: ChatDeps, users: Users, feed: Feed) => {
  const { repos, transaction, now } = deps;
  return {
    /**
     * The caller owns the new room. Each initial member is told with a `room.member.added` of their
     * own (the creator has the reply): one event per member, not one per pair of members.
     */
    async create(caller: Caller, name: string, memberIds: string[] = [], meta: RequestMeta = {}): Promise<RoomDetail> {
      const others = [...new Set(memberIds)].filter((id) => id !== caller.userId);
      await users.assertExist(others);
      const at = now();
      const room = { id: randomUUID(), name, ownerId: caller.userId, createdAt: at, lastActivityAt: at };
      const members: RoomMemberRow[] = [
        { roomId: room.id, userId: caller.userId, role: 'owner', joinedAt: at },
        ...others.map((userId) => ({ roomId: room.id, userId, role: 'member' as const, joinedAt: at })),
      ];
      const items: FeedItem[] = members.slice(1).map((m) => {
        const event: FeedEvent = {
          type: 'room.member.added',
          roomId: room.id,
          room: toRoom(room, members.length),
          member: toMember(m),
          by: caller.userId,
        };
        return { event, recipients: [m.userId] };
      });
      const { detail, numbered } = await transaction(async (tx) => {
        await tx.rooms.insert(room, members);
        // Read back: the members in the order every later read gives them.
        const detail = toDetail(room, await tx.rooms.members(room.id));
        const data = { roomId: room.id, ownerId: caller.userId, memberIds: others };
        await tx.events.stage(ChatEvents.roomCreated, data, who(caller, caller.userId, meta));
        return { detail, numbered: await tx.feed.append(items, at) };
      });
      feed.publish(numbered);
      return detail;
    },

    async list(caller: Caller, query: { limit?: number; cursor?: string }): Promise<RoomPage> {
      const limit = query.limit ?? DEFAULT_LIMIT;
      const after = query.cursor ? readRoomCursor(query.cursor) : undefined;
      const rows = await repos.rooms.listForUser(caller.userId, { limit: limit + 1, ...(after ? { after } : {}) });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((row) => toRoom(row, row.memberCount)),
        nextCursor: rows.length > limit && last ? roomCursor(last) : null,
      };
    },

    async get(caller: Caller, roomId: string): Promise<RoomDetail> {
      const room = await repos.rooms.find(roomId);
      if (!room) throw roomNotFound();
      const members = await repos.rooms.members(roomId);
      if (!members.some((m) => m.userId === caller.userId)) throw roomNotFound();
      return toDetail(room, members);
    },

    async isMember(roomId: string, userId: string): Promise<boolean> {
      return (await repos.rooms.member(roomId, userId)) !== undefined;
    },
  };
};
export type Rooms = ReturnType<typeof createRooms>;
