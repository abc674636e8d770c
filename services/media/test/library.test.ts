import { MediaEndpoints, MediaEvents, type MediaObject, ParleyError } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForEvent } from './helpers/events.ts';
import { binary, png, wav } from './helpers/files.ts';
import { type MediaWorld, newCaller, signatureOf, startMedia } from './helpers/harness.ts';

describe('my uploads: list, get, delete', () => {
  let world: MediaWorld;
  beforeAll(async () => {
    world = await startMedia();
  });
  afterAll(() => world?.close());

  it('lists my uploads newest first, by kind, a page at a time', async () => {
    const me = newCaller();
    const someoneElse = newCaller();
    await world.upload(someoneElse, 'image', await png());
    const images: MediaObject[] = [];
    const voices: MediaObject[] = [];
    for (let i = 0; i < 5; i++) {
      images.push(await world.upload(me, 'image', await png()));
      world.clock.advance(1);
      if (i % 2 === 0) voices.push(await world.upload(me, 'voice', wav()));
      world.clock.advance(1);
    }
    const newestFirst = (list: MediaObject[]) => list.map((m) => m.id).reverse();

    const all = await world.call(MediaEndpoints.list, { caller: me });
    expect(all.items).toHaveLength(8);
    expect(all.nextCursor).toBeNull();
    expect(all.items.every((m) => m.ownerId === me.userId)).toBe(true);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await world.call(MediaEndpoints.list, { caller: me, kind: 'image', limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((m) => m.id));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(newestFirst(images));

    const onlyVoices = await world.call(MediaEndpoints.list, { caller: me, kind: 'voice' });
    expect(onlyVoices.items.map((m) => m.id)).toEqual(newestFirst(voices));
    expect((await world.call(MediaEndpoints.list, { caller: me, kind: 'sticker' })).items).toEqual([]);
  });

  it('refuses a cursor it did not make (400)', async () => {
    const err = await world.fail(MediaEndpoints.list, { caller: newCaller(), cursor: 'not-a-cursor' });
    expect([err.code, err.status]).toEqual(['BAD_REQUEST', 400]);
  });

  it('gets one of my uploads, the same as the list shows it', async () => {
    const me = newCaller();
    const media = await world.upload(me, 'file', binary());
    const got = await world.call(MediaEndpoints.get, { caller: me, mediaId: media.id });
    expect({ ...got, signedUrl: '' }).toEqual({ ...media, signedUrl: '' });
    expect((await world.fail(MediaEndpoints.get, { caller: newCaller(), mediaId: media.id })).code).toBe('MEDIA_NOT_FOUND');
  });

  it('deletes for everyone: owner, signed URL and list all lose it', async () => {
    const me = newCaller();
    const media = await world.upload(me, 'image', await png());
    await waitForEvent(world, MediaEvents.ready.type, media.id);
    const stranger = newCaller();
    expect((await world.fail(MediaEndpoints.delete, { caller: stranger, mediaId: media.id })).code).toBe('MEDIA_NOT_FOUND');

    expect(await world.call(MediaEndpoints.delete, { caller: me, mediaId: media.id })).toEqual({ done: true });
    for (const variant of ['original', 'thumbnail'] as const) {
      for (const request of [{ caller: me }, { caller: null, signature: signatureOf(media.signedUrl) }]) {
        const err = await world.fail(MediaEndpoints.grant, { mediaId: media.id, variant, ...request });
        expect(err.code).toBe('MEDIA_NOT_FOUND');
      }
    }
    expect((await world.fail(MediaEndpoints.get, { caller: me, mediaId: media.id })).code).toBe('MEDIA_NOT_FOUND');
    expect((await world.call(MediaEndpoints.list, { caller: me })).items).toEqual([]);
    expect((await world.fail(MediaEndpoints.delete, { caller: me, mediaId: media.id })).code).toBe('MEDIA_NOT_FOUND');
  });

  it('keeps shared bytes until the last media using them is deleted, thumbnails included', async () => {
    const me = newCaller();
    const file = await png(400, 300);
    const first = await world.upload(me, 'image', file);
    const second = await world.upload(me, 'image', file);
    await waitForEvent(world, MediaEvents.ready.type, first.id);
    await waitForEvent(world, MediaEvents.ready.type, second.id);
    const grant = (mediaId: string, variant: 'original' | 'thumbnail') =>
      world.call(MediaEndpoints.grant, { mediaId, variant, caller: me });
    const original = (await grant(first.id, 'original')).sha256;
    const thumbnail = (await grant(first.id, 'thumbnail')).sha256;
    expect((await grant(second.id, 'original')).sha256).toBe(original);
    expect((await grant(second.id, 'thumbnail')).sha256).toBe(thumbnail);

    await world.call(MediaEndpoints.delete, { caller: me, mediaId: first.id });
    expect(await world.read(original)).toEqual(file.bytes);
    expect(await world.store.stat(thumbnail)).not.toBeNull();
    expect((await grant(second.id, 'thumbnail')).sha256).toBe(thumbnail);

    await world.call(MediaEndpoints.delete, { caller: me, mediaId: second.id });
    expect(await world.store.stat(original)).toBeNull();
    expect(await world.store.stat(thumbnail)).toBeNull();
  });

  it('never leaves a media without its bytes when a delete races a new upload of the same bytes', async () => {
    const me = newCaller();
    for (let round = 0; round < 12; round++) {
      const file = binary(4096);
      const old = await world.upload(me, 'file', file);
      // The gateway has already stored the bytes again (they were there: nothing new written).
      const { sha256, size } = await world.put(file.bytes);
      const [deleted, registered] = await Promise.allSettled([
        world.call(MediaEndpoints.delete, { caller: me, mediaId: old.id }),
        world.call(MediaEndpoints.register, {
          caller: me,
          kind: 'file',
          sha256,
          size,
          contentType: file.contentType,
          filename: 'again.pdf',
        }),
      ]);
      expect(deleted.status).toBe('fulfilled');
      if (registered.status === 'fulfilled') {
        const grant = await world.call(MediaEndpoints.grant, { mediaId: registered.value.id, variant: 'original', caller: me });
        expect(await world.read(grant.sha256)).toEqual(file.bytes);
        await world.call(MediaEndpoints.delete, { caller: me, mediaId: registered.value.id });
      } else {
        expect(registered.reason).toBeInstanceOf(ParleyError);
        expect((registered.reason as ParleyError).code).toBe('BLOB_MISSING');
      }
      expect(await world.store.stat(sha256)).toBeNull();
    }
  });
});
