import { randomUUID } from 'node:crypto';
import { ChatEndpoints, MediaEvents, type MessageMedia } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_READY_DURABLE } from '../src/handlers/messages.ts';
import { type ChatWorld, pushesTo, startChat } from './helpers/harness.ts';

describe('thumbnails announced by the media service', () => {
  let world: ChatWorld;
  beforeAll(async () => {
    world = await startChat();
  });
  afterAll(() => world?.close());

  const image = (id: string): MessageMedia => ({
    id,
    kind: 'image',
    contentType: 'image/png',
    size: 1234,
    filename: 'cat.png',
    url: `/api/v1/media/${id}`,
    thumbnailUrl: null,
  });
  const thumbnailUrl = (id: string) => `/api/v1/media/${id}/thumbnail`;

  /** How many media.ready deliveries chat-notify has finished. */
  const handled = async (): Promise<number> => {
    const { values } = await world.app.parley.metrics.eventsHandled.get();
    return values.filter((v) => v.labels.durable === MEDIA_READY_DURABLE).reduce((sum, v) => sum + v.value, 0);
  };

  const announce = async (data: { mediaId: string; ownerId: string; roomId: string | null }) => {
    const done = await handled();
    await world.bus.emit(MediaEvents.ready, { ...data, thumbnailUrl: thumbnailUrl(data.mediaId) }, { id: randomUUID() });
    await expect.poll(handled, { timeout: 15_000 }).toBe(done + 1);
  };

  it('shows the thumbnail in the history and tells the room once, however often it is announced', async () => {
    const [alice, bob, outsider] = [world.newUser(), world.newUser(), world.newUser()];
    const { id: roomId } = await world.room(alice, [bob]);
    const mediaId = randomUUID();
    await world.call(ChatEndpoints.postMessage, { caller: alice, roomId, text: '', media: image(mediaId) });

    await announce({ mediaId, ownerId: alice.userId, roomId });
    const [message] = (await world.call(ChatEndpoints.listMessages, { caller: bob, roomId })).items;
    expect(message!.media).toEqual({ ...image(mediaId), thumbnailUrl: thumbnailUrl(mediaId) });
    expect((await pushesTo(world, alice, 2)).at(-1)).toEqual(['media.ready', 2]);
    expect((await pushesTo(world, bob, 3)).at(-1)).toEqual(['media.ready', 3]);
    expect((await world.feedOf(bob)).at(-1)).toEqual({
      type: 'media.ready',
      roomId,
      mediaId,
      thumbnailUrl: thumbnailUrl(mediaId),
      seq: 3,
    });

    // The media service announcing it again (a redelivered upload): handled, and nobody told twice.
    await announce({ mediaId, ownerId: alice.userId, roomId });
    await world.post(alice, roomId, 'after');
    expect(await pushesTo(world, bob, 4)).toEqual([
      ['room.member.added', 1],
      ['message.created', 2],
      ['media.ready', 3],
      ['message.created', 4],
    ]);
    expect(await world.feedOf(outsider)).toEqual([]);
  });

  it('gives the thumbnail to a message posted after it was announced', async () => {
    const alice = world.newUser();
    const { id: roomId } = await world.room(alice);
    const mediaId = randomUUID();
    await announce({ mediaId, ownerId: alice.userId, roomId });
    const message = await world.call(ChatEndpoints.postMessage, { caller: alice, roomId, text: 'look', media: image(mediaId) });
    expect(message.media?.thumbnailUrl).toBe(thumbnailUrl(mediaId));
  });

  it('tells only the owner about media outside any room', async () => {
    const [alice, bob] = [world.newUser(), world.newUser()];
    await world.room(alice, [bob]);
    const mediaId = randomUUID();
    await announce({ mediaId, ownerId: alice.userId, roomId: null });
    expect((await world.feedOf(alice)).map((e) => e.type)).toEqual(['media.ready']);
    expect((await world.feedOf(bob)).map((e) => e.type)).toEqual(['room.member.added']);
  });
});
