import { ChatEndpoints, type Push } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatWorld, pushesTo, startChat } from './helpers/harness.ts';

describe('the per-user feed', () => {
  let world: ChatWorld;
  beforeAll(async () => {
    world = await startChat();
  });
  afterAll(() => world?.close());

  const summary = async (user: ReturnType<ChatWorld['newUser']>) =>
    (await world.feedOf(user)).map((e) => [e.seq, e.type === 'message.created' ? e.message.text : e.type]);

  it('numbers what each user may see 1, 2, 3… and tells nobody else', async () => {
    const [alice, bob, carol] = [world.newUser(), world.newUser(), world.newUser()];
    const { id: roomId } = await world.room(alice, [bob]);
    await world.post(alice, roomId, 'one');
    await world.post(bob, roomId, 'two');
    expect(await summary(carol)).toEqual([]);
    await world.call(ChatEndpoints.addMember, { caller: alice, roomId, userId: carol.userId });
    await world.post(carol, roomId, 'three');
    await world.call(ChatEndpoints.removeMember, { caller: alice, roomId, userId: bob.userId });
    await world.post(alice, roomId, 'four');

    expect(await summary(alice)).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'room.member.added'],
      [4, 'three'],
      [5, 'room.member.removed'],
      [6, 'four'],
    ]);
    // Told of the room when it was made with them in it; of nothing after leaving it.
    expect(await summary(bob)).toEqual([
      [1, 'room.member.added'],
      [2, 'one'],
      [3, 'two'],
      [4, 'room.member.added'],
      [5, 'three'],
      [6, 'room.member.removed'],
    ]);
    expect(await summary(carol)).toEqual([
      [1, 'room.member.added'],
      [2, 'three'],
      [3, 'room.member.removed'],
      [4, 'four'],
    ]);
  });

  it('says who joined or left, how, and what the room is now', async () => {
    const [alice, bob, carol] = [world.newUser(), world.newUser(), world.newUser()];
    const room = await world.room(alice, [bob], 'Trip');
    const member = await world.call(ChatEndpoints.addMember, { caller: alice, roomId: room.id, userId: carol.userId });
    await world.call(ChatEndpoints.removeMember, { caller: alice, roomId: room.id, userId: bob.userId });
    await world.call(ChatEndpoints.removeMember, { caller: carol, roomId: room.id, userId: carol.userId });

    const [createdForBob, added, removed] = await world.feedOf(bob);
    expect(createdForBob).toMatchObject({
      type: 'room.member.added',
      roomId: room.id,
      by: alice.userId,
      room: { id: room.id, name: 'Trip', memberCount: 2 },
      member: { userId: bob.userId, role: 'member' },
    });
    expect(added).toMatchObject({ type: 'room.member.added', room: { memberCount: 3 }, member, by: alice.userId });
    expect(removed).toMatchObject({
      type: 'room.member.removed',
      roomId: room.id,
      userId: bob.userId,
      by: alice.userId,
      reason: 'removed',
    });
    expect((await world.feedOf(carol)).at(-1)).toMatchObject({
      type: 'room.member.removed',
      userId: carol.userId,
      reason: 'left',
    });
    expect((await world.feedOf(alice)).map((e) => e.type)).toEqual([
      'room.member.added',
      'room.member.removed',
      'room.member.removed',
    ]);
  });

  it('reads after a seq, a page at a time, and says where the feed stands', async () => {
    const [alice, nobody] = [world.newUser(), world.newUser()];
    const { id: roomId } = await world.room(alice);
    for (let i = 1; i <= 5; i++) await world.post(alice, roomId, `m${i}`);

    expect(await world.call(ChatEndpoints.readFeed, { userId: alice.userId })).toEqual({
      events: [],
      latestSeq: 5,
      oldestSeq: 1,
    });
    const page = await world.call(ChatEndpoints.readFeed, { userId: alice.userId, after: 2, limit: 2 });
    expect(page.events.map((e) => [e.seq, e.type === 'message.created' && e.message.text])).toEqual([
      [3, 'm3'],
      [4, 'm4'],
    ]);
    expect(page).toMatchObject({ latestSeq: 5, oldestSeq: 1 });
    expect((await world.call(ChatEndpoints.readFeed, { userId: alice.userId, after: 5 })).events).toEqual([]);
    expect(await world.call(ChatEndpoints.readFeed, { userId: nobody.userId, after: 0 })).toEqual({
      events: [],
      latestSeq: 0,
      oldestSeq: 1,
    });
  });

  it('keeps a page of long messages small enough for one NATS message (1 MiB), without skipping any', async () => {
    const alice = world.newUser();
    const { id: roomId } = await world.room(alice);
    // 4,000 two-byte characters: about 8 KB of JSON per event, 80 of them about 640 KB.
    for (let i = 1; i <= 80; i++) await world.post(alice, roomId, `${i} ${'é'.repeat(3_990)}`);
    const page = await world.call(ChatEndpoints.readFeed, { userId: alice.userId, after: 0, limit: 500 });
    expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThan(1024 * 1024);
    expect(page.events.length).toBeLessThan(80);
    expect(page.events.map((e) => e.seq)).toEqual(page.events.map((_, i) => i + 1));
    const rest = await world.call(ChatEndpoints.readFeed, { userId: alice.userId, after: page.events.length, limit: 500 });
    expect(rest.events.map((e) => e.seq)).toEqual(
      Array.from({ length: 80 - page.events.length }, (_, i) => page.events.length + i + 1),
    );
    expect(rest.latestSeq).toBe(80);
  });

  it('pushes each event once, after it is stored, naming every recipient’s seq', async () => {
    const [alice, bob] = [world.newUser(), world.newUser()];
    const { id: roomId } = await world.room(alice, [bob]);
    const message = await world.post(bob, roomId, 'live');
    const isIt = (p: Push) => p.event.type === 'message.created' && p.event.message.id === message.id;
    await expect.poll(() => world.pushes.filter(isIt).length, { timeout: 15_000 }).toBe(1);
    const push = world.pushes.find(isIt)!;
    expect(push.event).toEqual({ type: 'message.created', roomId, message });
    expect(new Map(push.recipients)).toEqual(
      new Map([
        [alice.userId, 1],
        [bob.userId, 2],
      ]),
    );
    // The same event, as the feed gives it back.
    const [stored] = (await world.call(ChatEndpoints.readFeed, { userId: bob.userId, after: 1 })).events;
    expect(stored).toEqual({ ...push.event, seq: 2 });
    expect(await pushesTo(world, bob, 2)).toEqual([
      ['room.member.added', 1],
      ['message.created', 2],
    ]);
  });
});
