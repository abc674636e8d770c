import { ChatEndpoints } from '@parley/contracts';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatDeps } from '../src/app.ts';
import { feedEvents } from '../src/db/schema/feed.ts';
import { createChatDomain } from '../src/services/index.ts';
import { type ChatWorld, range, startChat } from './helpers/harness.ts';

const HOUR = 3600;

describe('the replay window', () => {
  let world: ChatWorld;
  beforeAll(async () => {
    world = await startChat({ FEED_KEEP_EVENTS: '3', FEED_KEEP_HOURS: '1' });
  });
  afterAll(() => world?.close());

  it('keeps each user’s last FEED_KEEP_EVENTS events, and every event of the last FEED_KEEP_HOURS', async () => {
    const kit = world.app.parley;
    const { db } = kit.database();
    const domain = createChatDomain(createChatDeps(kit, world.config, world.clock));
    const events = async () => (await db.select({ n: count() }).from(feedEvents))[0]!.n;
    const [old, recent] = [world.newUser(), world.newUser()];
    const { id: oldRoom } = await world.room(old);
    const { id: recentRoom } = await world.room(recent);

    for (let i = 1; i <= 6; i++) await world.post(old, oldRoom, `old ${i}`);
    world.clock.advance(2 * HOUR);
    for (let i = 1; i <= 6; i++) await world.post(recent, recentRoom, `recent ${i}`);
    await world.post(old, oldRoom, 'old 7');
    const before = await events();

    // `old`: seqs 1..6 are two hours old, 7 is new; 1..4 are both old and beyond the last 3 (5, 6, 7).
    // `recent`: everything is within the hour, so all six stay even beyond the last 3.
    expect(await domain.feed.prune()).toBe(4);
    expect((await world.feedOf(old)).map((e) => e.seq)).toEqual([5, 6, 7]);
    expect(await world.call(ChatEndpoints.readFeed, { userId: old.userId })).toEqual({ events: [], latestSeq: 7, oldestSeq: 5 });
    expect((await world.feedOf(recent)).map((e) => e.seq)).toEqual(range(1, 6));
    expect(await events()).toBe(before - 4);

    // An hour on, `recent`'s are old too: back to the last three each.
    world.clock.advance(2 * HOUR);
    expect(await domain.feed.prune()).toBe(3);
    expect((await world.feedOf(recent)).map((e) => e.seq)).toEqual([4, 5, 6]);
    expect((await world.feedOf(old)).map((e) => e.seq)).toEqual([5, 6, 7]);
    // Numbering goes on from where it was.
    await world.post(old, oldRoom, 'old 8');
    expect(await world.call(ChatEndpoints.readFeed, { userId: old.userId, after: 4 })).toMatchObject({
      latestSeq: 8,
      oldestSeq: 5,
    });
    expect((await world.feedOf(old)).map((e) => e.seq)).toEqual([5, 6, 7, 8]);
  });
});
