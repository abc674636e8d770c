import type { Db } from '@parley/kit';
import { and, asc, count, desc, eq, lt, or, sql } from 'drizzle-orm';
import { type Room, type RoomMemberRow, roomMembers, rooms } from '../db/schema/rooms.ts';

/** Where a page of a user's rooms ends: most recent activity first, ties broken by id. */
export interface RoomCursor {
  lastActivityAt: Date;
  id: string;
}

export type RoomWithCount = Room & { memberCount: number };

const memberCount = sql<number>`(select count(*)::int from ${roomMembers} where ${roomMembers.roomId} = ${rooms.id})`;

export const createRoomsRepository = (db: Db) => ({
  async insert(room: Room, members: RoomMemberRow[]): Promise<void> {
    await db.insert(rooms).values(room);
    await db.insert(roomMembers).values(members);
  },

  async find(id: string): Promise<Room | undefined> {
    const [row] = await db.select().from(rooms).where(eq(rooms.id, id));
    return row;
  },

  /** The room, locked until the transaction ends: every change to a room and its feed takes this lock first. */
  async lock(id: string): Promise<Room | undefined> {
    const [row] = await db.select().from(rooms).where(eq(rooms.id, id)).for('update');
    return row;
  },

  /** Longest-standing first (the owner first among equals): the first is who inherits the room. */
  async members(roomId: string): Promise<RoomMemberRow[]> {
    return db
      .select()
      .from(roomMembers)
      .where(eq(roomMembers.roomId, roomId))
      .orderBy(asc(roomMembers.joinedAt), sql`${roomMembers.role} <> 'owner'`, asc(roomMembers.userId));
  },

  async member(roomId: string, userId: string): Promise<RoomMemberRow | undefined> {
    const [row] = await db
      .select()
      .from(roomMembers)
      .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.userId, userId)));
    return row;
  },

  async countMembers(roomId: string): Promise<number> {
    const [row] = await db.select({ n: count() }).from(roomMembers).where(eq(roomMembers.roomId, roomId));
    return row?.n ?? 0;
  },

  /** The longest-standing member: who inherits a room its owner left. */
  async eldest(roomId: string): Promise<RoomMemberRow | undefined> {
    const [row] = await db
      .select()
      .from(roomMembers)
      .where(eq(roomMembers.roomId, roomId))
      .orderBy(asc(roomMembers.joinedAt), sql`${roomMembers.role} <> 'owner'`, asc(roomMembers.userId))
      .limit(1);
    return row;
  },

  async addMember(row: RoomMemberRow): Promise<void> {
    await db.insert(roomMembers).values(row);
  },

  async removeMember(roomId: string, userId: string): Promise<void> {
    await db.delete(roomMembers).where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.userId, userId)));
  },

  async setOwner(roomId: string, userId: string): Promise<void> {
    await db.update(rooms).set({ ownerId: userId }).where(eq(rooms.id, roomId));
    await db
      .update(roomMembers)
      .set({ role: 'owner' })
      .where(and(eq(roomMembers.roomId, roomId), eq(roomMembers.userId, userId)));
  },

  /**
   * Bumps the room's activity, which also locks it, and says whether `userId` is a member: one
   * round trip for what every message does first. `undefined` when there is no such room.
   */
  async touchAsMember(roomId: string, userId: string, at: Date): Promise<boolean | undefined> {
    const [row] = await db
      .update(rooms)
      .set({ lastActivityAt: sql`greatest(${rooms.lastActivityAt}, ${at.toISOString()}::timestamptz)` })
      .where(eq(rooms.id, roomId))
      .returning({
        member: sql<boolean>`exists (select 1 from ${roomMembers} where ${roomMembers.roomId} = ${rooms.id} and ${roomMembers.userId} = ${userId})`,
      });
    return row?.member;
  },

  async delete(roomId: string): Promise<void> {
    await db.delete(rooms).where(eq(rooms.id, roomId));
  },

  async listForUser(userId: string, options: { limit: number; after?: RoomCursor }): Promise<RoomWithCount[]> {
    const conditions = [eq(roomMembers.userId, userId)];
    if (options.after) {
      const { lastActivityAt, id } = options.after;
      conditions.push(
        or(lt(rooms.lastActivityAt, lastActivityAt), and(eq(rooms.lastActivityAt, lastActivityAt), lt(rooms.id, id)))!,
      );
    }
    const rows = await db
      .select({ room: rooms, memberCount })
      .from(rooms)
      .innerJoin(roomMembers, eq(roomMembers.roomId, rooms.id))
      .where(and(...conditions))
      .orderBy(desc(rooms.lastActivityAt), desc(rooms.id))
      .limit(options.limit);
    return rows.map((r) => ({ ...r.room, memberCount: r.memberCount }));
  },
});
export type RoomsRepository = ReturnType<typeof createRoomsRepository>;
