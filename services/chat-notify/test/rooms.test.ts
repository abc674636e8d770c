import { ChatEndpoints, ChatEvents } from '@parley/contracts';
import { refusePublishes, withoutOutbox } from '@parley/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatWorld, startChat } from './helpers/harness.ts';

describe('rooms and their members', () => {
  let world: ChatWorld;
  beforeAll(async () => {
    world = await startChat();
  });
  afterAll(() => world?.close());

  const code = async (promise: Promise<{ code: string; status: number }>) => {
    const err = await promise;
    return [err.code, err.status];
  };

  it('makes the creator the owner and the named users members, each named once', async () => {
    const [alice, bob, carol] = [world.newUser(), world.newUser(), world.newUser()];
    const room = await world.room(alice, [bob, carol, bob, alice], 'Plans');
    expect(room).toMatchObject({ name: 'Plans', ownerId: alice.userId, memberCount: 3 });
    expect(room.members[0]).toMatchObject({ userId: alice.userId, role: 'owner' });
    expect(room.members.map((m) => m.userId).sort()).toEqual([alice.userId, bob.userId, carol.userId].sort());
    expect(room.members.filter((m) => m.role === 'owner')).toHaveLength(1);
    expect(await world.call(ChatEndpoints.getRoom, { caller: bob, roomId: room.id })).toEqual(room);
  });

  it('refuses to create a room naming someone who is not a user, and names only them', async () => {
    const [alice, bob] = [world.newUser(), world.newUser()];
    const ghost = world.stranger();
    const err = await world.fail(ChatEndpoints.createRoom, {
      caller: alice,
      name: 'Nope',
      memberIds: [bob.userId, ghost.userId],
    });
    expect([err.code, err.status]).toEqual(['USER_NOT_FOUND', 404]);
    expect(err.message).toContain(ghost.userId);
    expect(err.message).not.toContain(bob.userId);
    expect((await world.call(ChatEndpoints.listRooms, { caller: bob })).items).toEqual([]);
  });

  it('hides a room from everyone outside it, exactly as a room that does not exist', async () => {
    const [alice, outsider] = [world.newUser(), world.newUser()];
    const room = await world.room(alice);
    for (const roomId of [room.id, 'no-such-room']) {
      expect(await code(world.fail(ChatEndpoints.getRoom, { caller: outsider, roomId }))).toEqual(['ROOM_NOT_FOUND', 404]);
      expect(await code(world.fail(ChatEndpoints.addMember, { caller: outsider, roomId, userId: outsider.userId }))).toEqual([
        'ROOM_NOT_FOUND',
        404,
      ]);
      expect(await code(world.fail(ChatEndpoints.removeMember, { caller: outsider, roomId, userId: alice.userId }))).toEqual([
        'ROOM_NOT_FOUND',
        404,
      ]);
    }
    expect(await world.call(ChatEndpoints.membership, { roomId: room.id, userId: outsider.userId })).toEqual({ member: false });
    expect(await world.call(ChatEndpoints.membership, { roomId: room.id, userId: alice.userId })).toEqual({ member: true });
  });

  it('lists my rooms only, most recent activity first, page by page', async () => {
    const [me, other] = [world.newUser(), world.newUser()];
    const names = ['one', 'two', 'three', 'four', 'five'];
    const rooms = [];
    for (const name of names) {
      rooms.push(await world.room(me, [], name));
      world.clock.advance(1);
    }
    await world.room(other, [], 'not mine');
    // A message makes the oldest room the most recent.
    await world.post(me, rooms[0]!.id);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await world.call(ChatEndpoints.listRooms, { caller: me, limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((r) => r.name));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['one', 'five', 'four', 'three', 'two']);

    const first = await world.call(ChatEndpoints.listRooms, { caller: me });
    expect(first.items).toHaveLength(5);
    expect(first.nextCursor).toBeNull();
    expect(first.items[0]).toMatchObject({ memberCount: 1, ownerId: me.userId });
    expect(Date.parse(first.items[0]!.lastActivityAt)).toBeGreaterThan(Date.parse(first.items[0]!.createdAt));
  });

  it('refuses a cursor it did not hand out', async () => {
    const me = world.newUser();
    for (const cursor of ['garbage', Buffer.from('["x"]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
      expect(await code(world.fail(ChatEndpoints.listRooms, { caller: me, cursor }))).toEqual(['BAD_REQUEST', 400]);
    }
  });

  it('lets only the owner add members, each once, and only real users', async () => {
    const [owner, member, newcomer] = [world.newUser(), world.newUser(), world.newUser()];
    const room = await world.room(owner, [member]);
    const roomId = room.id;
    expect(await code(world.fail(ChatEndpoints.addMember, { caller: member, roomId, userId: newcomer.userId }))).toEqual([
      'NOT_ROOM_OWNER',
      403,
    ]);
    expect(await code(world.fail(ChatEndpoints.addMember, { caller: owner, roomId, userId: world.stranger().userId }))).toEqual([
      'USER_NOT_FOUND',
      404,
    ]);
    expect(await code(world.fail(ChatEndpoints.addMember, { caller: owner, roomId, userId: member.userId }))).toEqual([
      'ALREADY_MEMBER',
      409,
    ]);
    const added = await world.call(ChatEndpoints.addMember, { caller: owner, roomId, userId: newcomer.userId });
    expect(added).toMatchObject({ userId: newcomer.userId, role: 'member' });
    const read = await world.call(ChatEndpoints.getRoom, { caller: newcomer, roomId });
    expect(read.memberCount).toBe(3);
    expect(read.members.at(-1)).toEqual(added);
  });

  it('lets the owner remove anyone and a member only themselves', async () => {
    const [owner, bob, carol] = [world.newUser(), world.newUser(), world.newUser()];
    const { id: roomId } = await world.room(owner, [bob, carol]);
    expect(await code(world.fail(ChatEndpoints.removeMember, { caller: bob, roomId, userId: carol.userId }))).toEqual([
      'NOT_ROOM_OWNER',
      403,
    ]);
    expect(await code(world.fail(ChatEndpoints.removeMember, { caller: owner, roomId, userId: world.newUser().userId }))).toEqual(
      ['MEMBER_NOT_FOUND', 404],
    );
    await world.call(ChatEndpoints.removeMember, { caller: owner, roomId, userId: carol.userId });
    expect(await code(world.fail(ChatEndpoints.getRoom, { caller: carol, roomId }))).toEqual(['ROOM_NOT_FOUND', 404]);
    await world.call(ChatEndpoints.removeMember, { caller: bob, roomId, userId: bob.userId });
    expect(await world.call(ChatEndpoints.membership, { roomId, userId: bob.userId })).toEqual({ member: false });
    const room = await world.call(ChatEndpoints.getRoom, { caller: owner, roomId });
    expect(room.members.map((m) => m.userId)).toEqual([owner.userId]);
  });

  it('passes the room to the longest-standing member when the owner leaves, and deletes it when the last one does', async () => {
    const [owner, first, second] = [world.newUser(), world.newUser(), world.newUser()];
    const { id: roomId } = await world.room(owner);
    world.clock.advance(1);
    await world.call(ChatEndpoints.addMember, { caller: owner, roomId, userId: first.userId });
    world.clock.advance(1);
    await world.call(ChatEndpoints.addMember, { caller: owner, roomId, userId: second.userId });
    await world.post(first, roomId, 'before the owner left');

    await world.call(ChatEndpoints.removeMember, { caller: owner, roomId, userId: owner.userId });
    const room = await world.call(ChatEndpoints.getRoom, { caller: second, roomId });
    expect(room.ownerId).toBe(first.userId);
    expect(room.members.map((m) => [m.userId, m.role])).toEqual([
      [first.userId, 'owner'],
      [second.userId, 'member'],
    ]);
    // The new owner's powers are real.
    await world.call(ChatEndpoints.removeMember, { caller: first, roomId, userId: second.userId });
    await world.call(ChatEndpoints.removeMember, { caller: first, roomId, userId: first.userId });

    expect(await code(world.fail(ChatEndpoints.getRoom, { caller: first, roomId }))).toEqual(['ROOM_NOT_FOUND', 404]);
    expect((await world.call(ChatEndpoints.listRooms, { caller: first })).items).toEqual([]);
  });

  it('records who changed what on the durable stream, without message text', async () => {
    const [owner, bob] = [world.newUser(), world.newUser()];
    const { id: roomId } = await world.room(owner, [bob]);
    await world.post(bob, roomId, 'a secret plan');
    await world.call(ChatEndpoints.removeMember, { caller: owner, roomId, userId: owner.userId });
    const ofRoom = () => world.events.filter((e) => (e.data as { roomId?: string }).roomId === roomId);
    await expect.poll(() => ofRoom().length, { timeout: 15_000 }).toBe(3);
    const [created, posted, removed] = ofRoom();
    expect(created).toMatchObject({
      type: ChatEvents.roomCreated.type,
      source: 'chat-notify',
      actor: owner.userId,
      ip: owner.ip,
      userAgent: owner.userAgent,
      data: { roomId, ownerId: owner.userId, memberIds: [bob.userId] },
    });
    expect(posted).toMatchObject({
      type: ChatEvents.messagePosted.type,
      actor: bob.userId,
      data: { senderId: bob.userId, length: 13 },
    });
    expect(removed).toMatchObject({
      type: ChatEvents.memberRemoved.type,
      data: { roomId, userId: owner.userId, by: owner.userId, newOwnerId: bob.userId, roomDeleted: false },
    });
    expect(JSON.stringify(ofRoom())).not.toContain('secret');
  });

  it('keeps nothing of a change whose event cannot be stored (503): no message, no feed entry, no event', async () => {
    const [owner, bob] = [world.newUser(), world.newUser()];
    const { id: roomId } = await world.room(owner, [bob]);
    const error = await withoutOutbox(world.app, () =>
      world.fail(ChatEndpoints.postMessage, { caller: bob, roomId, text: 'never stored' }),
    );
    expect([error.code, error.status]).toEqual(['SERVICE_UNAVAILABLE', 503]);
    expect((await world.call(ChatEndpoints.listMessages, { caller: owner, roomId })).items).toEqual([]);

    // The next post is the room's first: its event, its seq, and the only one recorded.
    await world.post(bob, roomId, 'stored');
    expect((await world.feedOf(bob)).map((e) => [e.type, e.seq])).toEqual([
      ['room.member.added', 1],
      ['message.created', 2],
    ]);
    const posted = () => world.events.filter((e) => e.type === ChatEvents.messagePosted.type && e.subject === bob.userId);
    await expect.poll(() => posted().length, { timeout: 15_000 }).toBe(1);
    expect(posted()[0]!.data).toMatchObject({ roomId, length: 'stored'.length });
  });

  it('takes changes while the event stream is down; their events follow once it is back', async () => {
    const owner = world.newUser();
    const stream = refusePublishes(world.app);
    let roomId: string;
    try {
      roomId = (await world.room(owner)).id;
      await world.post(owner, roomId, 'during the outage');
      await expect.poll(stream.refused).toBeGreaterThan(0);
    } finally {
      stream.restore();
    }
    const ofRoom = () => world.events.filter((e) => (e.data as { roomId?: string }).roomId === roomId);
    await expect.poll(() => ofRoom().length, { timeout: 15_000 }).toBe(2);
    expect(
      ofRoom()
        .map((e) => e.type)
        .sort(),
    ).toEqual([ChatEvents.messagePosted.type, ChatEvents.roomCreated.type].sort());
  });
});
