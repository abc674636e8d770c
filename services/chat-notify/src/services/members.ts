import { type Caller, ChatEvents, type RoomMember } from '@parley/contracts';
import type { RoomMemberRow } from '../db/schema/rooms.ts';
import { chatError, notOwner, roomNotFound } from '../errors.ts';
import type { Repositories } from '../repositories/index.ts';
import type { ChatDeps, RequestMeta } from './deps.ts';
import { who } from './events.ts';
import type { Feed } from './feed.ts';
import type { Users } from './users.ts';
import { toMember, toRoom } from './views.ts';

/** The caller's row and the target's, read without reading the whole member list (rooms may be large). */
const rowsOf = async (repos: Repositories, roomId: string, caller: Caller, userId: string) => {
  const me = await repos.rooms.member(roomId, caller.userId);
  if (!me) throw roomNotFound();
  return { me, target: userId === caller.userId ? me : await repos.rooms.member(roomId, userId) };
};

/** Owner-only checks, made once without a lock (before asking auth) and again under it. */
const checkAdd = ({ me, target }: { me: RoomMemberRow; target: RoomMemberRow | undefined }): void => {
  if (me.role !== 'owner') throw notOwner();
  if (target) throw chatError('ALREADY_MEMBER', 'Already a member of this room');
};

/** Joining and leaving. Every change locks the room first, then numbers its feed event. */
export const createMembers = (deps: ChatDeps, users: Users, feed: Feed) => {
  const { repos, transaction, inRoom, now } = deps;

  const lock = async (tx: Repositories, roomId: string) => {
    const room = await tx.rooms.lock(roomId);
    if (!room) throw roomNotFound();
    return room;
  };

  return {
    async add(caller: Caller, roomId: string, userId: string, meta: RequestMeta = {}): Promise<RoomMember> {
      checkAdd(await rowsOf(repos, roomId, caller, userId));
      // Outside the transaction: never hold one across the bus.
      await users.assertExist([userId]);
      const at = now();
      const { member, numbered } = await inRoom(roomId, () =>
        transaction(async (tx) => {
          const room = await lock(tx, roomId);
          checkAdd(await rowsOf(tx, roomId, caller, userId));
          const row: RoomMemberRow = { roomId, userId, role: 'member', joinedAt: at };
          await tx.rooms.addMember(row);
          const member = toMember(row);
          const after = toRoom(room, await tx.rooms.countMembers(roomId));
          const event = { type: 'room.member.added' as const, roomId, room: after, member, by: caller.userId };
          await tx.events.stage(ChatEvents.memberAdded, { roomId, userId, by: caller.userId }, who(caller, userId, meta));
          return { member, numbered: [await tx.feed.appendForRoom(event, roomId, at)] };
        }),
      );
      feed.publish(numbered);
      return member;
    },

    /**
     * The owner removes anyone; anyone removes themselves (leaves). The longest-standing member
     * inherits an owner who leaves; the last one out deletes the room and its messages.
     */
    async remove(caller: Caller, roomId: string, userId: string, meta: RequestMeta = {}): Promise<{ done: true }> {
      const at = now();
      const numbered = await inRoom(roomId, () =>
        transaction(async (tx) => {
          await lock(tx, roomId);
          const { me, target } = await rowsOf(tx, roomId, caller, userId);
          const leaving = userId === caller.userId;
          if (!leaving && me.role !== 'owner') throw notOwner();
          if (!target) throw chatError('MEMBER_NOT_FOUND', 'Not a member of this room');
          await tx.rooms.removeMember(roomId, userId);
          const heir = await tx.rooms.eldest(roomId);
          if (!heir) await tx.rooms.delete(roomId);
          else if (target.role === 'owner') await tx.rooms.setOwner(roomId, heir.userId);
          const reason = leaving ? ('left' as const) : ('removed' as const);
          const event = { type: 'room.member.removed' as const, roomId, userId, by: caller.userId, reason };
          // The remaining members, and the one who left: told of it, and of nothing after.
          const numbered = [await tx.feed.appendForRoom(event, roomId, at, userId)];
          const newOwnerId = heir && target.role === 'owner' ? heir.userId : null;
          const data = { roomId, userId, by: caller.userId, newOwnerId, roomDeleted: !heir };
          await tx.events.stage(ChatEvents.memberRemoved, data, who(caller, userId, meta));
          return numbered;
        }),
      );
      feed.publish(numbered);
      return { done: true };
    },
  };
};
export type Members = ReturnType<typeof createMembers>;
