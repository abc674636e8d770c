import { randomUUID } from 'node:crypto';
import { MediaEndpoints, MediaEvents } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForEvent } from './helpers/events.ts';
import { png, wav } from './helpers/files.ts';
import { type ChatStandIn, type MediaWorld, newCaller, signatureOf, startMedia } from './helpers/harness.ts';

describe('media posted in a room', () => {
  let world: MediaWorld;
  let chat: ChatStandIn;
  const alice = newCaller();
  const bob = newCaller();
  const outsider = newCaller();
  const roomId = `room_${randomUUID()}`;
  beforeAll(async () => {
    world = await startMedia();
    // Stands in for chat-notify's membership endpoint until the chat issue builds the real one.
    chat = world.serveChat();
    chat.join(roomId, alice.userId);
    chat.join(roomId, bob.userId);
  });
  afterAll(() => world?.close());

  it('takes an upload from a member and records the room', async () => {
    const media = await world.upload(alice, 'image', await png(), { roomId });
    expect(media.roomId).toBe(roomId);
    const uploaded = await waitForEvent(world, MediaEvents.uploaded.type, media.id);
    expect(uploaded.data).toMatchObject({ roomId, ownerId: alice.userId });
    const ready = await waitForEvent(world, MediaEvents.ready.type, media.id);
    expect(ready.data).toMatchObject({ roomId });
  });

  it('refuses an upload to a room the uploader is not in, as if the room did not exist, and keeps no bytes', async () => {
    const file = await png();
    for (const room of [roomId, `room_${randomUUID()}`]) {
      const { error: err, sha256 } = await world.failUpload(outsider, 'image', file, { roomId: room });
      expect([err.code, err.status]).toEqual(['NOT_FOUND', 404]);
      expect(await world.store.stat(sha256)).toBeNull();
    }
  });

  it('lets every member read it, and nobody else', async () => {
    const media = await world.upload(alice, 'voice', wav(), { roomId });
    const grant = await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller: bob });
    expect(grant.contentType).toBe('audio/wav');
    for (const caller of [outsider, null]) {
      const err = await world.fail(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller });
      expect(err.code).toBe('MEDIA_NOT_FOUND');
    }
    // Only the owner manages it: a member reads but does not see it in get or delete.
    expect((await world.fail(MediaEndpoints.get, { caller: bob, mediaId: media.id })).code).toBe('MEDIA_NOT_FOUND');
    expect((await world.fail(MediaEndpoints.delete, { caller: bob, mediaId: media.id })).code).toBe('MEDIA_NOT_FOUND');
  });

  it('stops letting a member read once they leave the room, and lets a new member in', async () => {
    const media = await world.upload(alice, 'image', await png(), { roomId });
    const carol = newCaller();
    expect((await world.fail(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller: carol })).code).toBe(
      'MEDIA_NOT_FOUND',
    );
    chat.join(roomId, carol.userId);
    await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller: carol });
    chat.leave(roomId, carol.userId);
    expect((await world.fail(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller: carol })).code).toBe(
      'MEDIA_NOT_FOUND',
    );
    // A signed URL handed out in the room still works until it expires.
    await world.call(MediaEndpoints.grant, {
      mediaId: media.id,
      variant: 'original',
      caller: null,
      signature: signatureOf(media.signedUrl),
    });
  });

  it('lets chat-notify’s 503 through while it does not answer, and keeps the owner’s own access', async () => {
    const media = await world.upload(alice, 'image', await png(), { roomId });
    await chat.stop();
    try {
      const upload = await png();
      const { error: err } = await world.failUpload(alice, 'image', upload, { roomId });
      expect([err.code, err.status]).toEqual(['SERVICE_UNAVAILABLE', 503]);
      const read = await world.fail(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller: bob });
      expect([read.code, read.status]).toEqual(['SERVICE_UNAVAILABLE', 503]);
      // The owner needs nobody's word.
      await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller: alice });
    } finally {
      chat = world.serveChat();
      for (const user of [alice, bob]) chat.join(roomId, user.userId);
    }
  });
});
