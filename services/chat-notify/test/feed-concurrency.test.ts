import { ChatEndpoints, type Push } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatWorld, range, startChat } from './helpers/harness.ts';

describe('the feed under concurrent writers', () => {
  let world: ChatWorld;
  beforeAll(async () => {
    world = await startChat();
  });
  afterAll(() => world?.close());

  /** What each user's feed and pushes say about one room's messages: seq → message id. */
  const numbering = async (users: ReturnType<ChatWorld['newUser']>[], roomId: string) => {
    const result = new Map<string, { feed: [number, string][]; pushed: [number, string][] }>();
    for (const user of users) {
      const feed = (await world.feedOf(user)).flatMap((e) =>
        e.type === 'message.created' ? [[e.seq, e.message.id] as [number, string]] : [],
      );
      const pushed = world.pushes
        .filter((p: Push) => p.event.type === 'message.created' && p.event.roomId === roomId)
        .flatMap((p) =>
          p.recipients
            .filter(([u]) => u === user.userId)
            .map(([, seq]) => [seq, (p.event as { message: { id: string } }).message.id] as [number, string]),
        );
      result.set(user.userId, { feed, pushed: pushed.sort((a, b) => a[0] - b[0]) });
    }
    return result;
  };

  it('gives every member seqs 1..N with no gap and no duplicate while members post at once, through two copies', async () => {
    const members = [world.newUser(), world.newUser(), world.newUser(), world.newUser()];
    const [owner, ...others] = members;
    const { id: roomId } = await world.room(owner!, others);
    const burst = (tag: string) =>
      Promise.all(range(1, 40).map((i) => world.post(members[i % members.length]!, roomId, `${tag} ${i}`)));

    const first = await burst('one copy');
    await world.startCopy();
    const second = await burst('two copies');
    const posted = new Set([...first, ...second].map((m) => m.id));
    expect(posted.size).toBe(80);

    await expect
      .poll(() => world.pushes.filter((p) => p.event.type === 'message.created' && p.event.roomId === roomId).length, {
        timeout: 30_000,
      })
      .toBe(80);
    const byUser = await numbering(members, roomId);
    for (const [userId, { feed, pushed }] of byUser) {
      // The owner was told nothing when the room was made; the others had their room.member.added as seq 1.
      const start = userId === owner!.userId ? 1 : 2;
      expect(feed.map(([seq]) => seq)).toEqual(range(start, start + 79));
      expect(new Set(feed.map(([, id]) => id))).toEqual(posted);
      expect(pushed).toEqual(feed);
    }
    // Every member saw the messages in the same order.
    const orders = [...byUser.values()].map(({ feed }) => feed.map(([, id]) => id).join());
    expect(new Set(orders).size).toBe(1);
    const history = await world.call(ChatEndpoints.listMessages, { caller: owner!, roomId, limit: 100 });
    expect(
      history.items
        .map((m) => m.id)
        .reverse()
        .join(),
    ).toBe(orders[0]);
  });

  it('keeps each user’s seqs contiguous when they are in many rooms written at once', async () => {
    const hub = world.newUser();
    const friends = range(1, 6).map(() => world.newUser());
    const rooms = await Promise.all(friends.map((friend) => world.room(friend, [hub])));
    await Promise.all(
      rooms.flatMap((room, i) => range(1, 6).map((n) => world.post(n % 2 ? hub : friends[i]!, room.id, `m${n}`))),
    );
    const seqs = (await world.feedOf(hub)).map((e) => e.seq);
    expect(seqs).toEqual(range(1, 6 + 36));
  });
});
