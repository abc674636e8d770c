import { randomBytes } from 'node:crypto';
import { MediaEndpoints, MediaEvents, type MediaObject } from '@parley/contracts';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsOf, handledByThumbnails, waitForEvent } from './helpers/events.ts';
import { binary, handmadePng, jpeg, png, wav, webp } from './helpers/files.ts';
import { type MediaWorld, newCaller, startMedia } from './helpers/harness.ts';

describe('thumbnails, made after the upload has answered', () => {
  let world: MediaWorld;
  const me = newCaller();
  beforeAll(async () => {
    world = await startMedia();
  });
  afterAll(() => world?.close());

  /** The thumbnail's bytes, read from the store as the gateway would serve them. */
  const thumbnailOf = async (media: MediaObject) => {
    await waitForEvent(world, MediaEvents.ready.type, media.id);
    const grant = await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'thumbnail', caller: me });
    const bytes = await world.read(grant.sha256);
    expect(bytes).not.toBeNull();
    expect(grant).toMatchObject({ contentType: 'image/webp', size: bytes!.length, disposition: 'inline' });
    return { grant, bytes: bytes!, meta: await sharp(bytes!).metadata() };
  };

  it('makes a WebP no larger than THUMBNAIL_SIZE and announces it with media.ready', async () => {
    const media = await world.upload(me, 'image', await png(800, 600));
    expect(media.thumbnailUrl).toBeNull();
    const { meta } = await thumbnailOf(media);
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 320, 240]);

    const ready = eventsOf(world, MediaEvents.ready.type, media.id)[0]!;
    expect(ready.data).toEqual({
      mediaId: media.id,
      ownerId: me.userId,
      roomId: null,
      thumbnailUrl: `/api/v1/media/${media.id}/thumbnail`,
    });
    const now = await world.call(MediaEndpoints.get, { caller: me, mediaId: media.id });
    expect(now.thumbnailUrl).toBe(`/api/v1/media/${media.id}/thumbnail`);
    expect(now.signedThumbnailUrl).toMatch(
      new RegExp(`^https://parley\\.example\\.test/api/v1/media/${media.id}/thumbnail\\?exp=\\d+&sig=`),
    );
  });

  it('turns a photo upright by its EXIF orientation and keeps no EXIF in the thumbnail', async () => {
    const file = await jpeg(800, 400, 6);
    expect((await sharp(file.bytes).metadata()).exif).toBeDefined();
    const media = await world.upload(me, 'image', file);
    const { meta } = await thumbnailOf(media);
    expect([meta.width, meta.height]).toEqual([160, 320]);
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
  });

  it('never enlarges a small picture, and thumbnails every image format and kind', async () => {
    const cases = [
      ['image', await jpeg(100, 50)],
      ['image', await webp(90, 90)],
      ['sticker', await png(128, 64)],
      ['avatar', await webp(50, 70)],
    ] as const;
    for (const [kind, file] of cases) {
      const media = await world.upload(me, kind, file);
      const { meta } = await thumbnailOf(media);
      expect([meta.format, meta.width, meta.height], `${kind} ${file.contentType}`).toEqual(['webp', media.width, media.height]);
    }
  });

  it('uses the first frame of an animated GIF', async () => {
    const frame = (r: number) =>
      sharp({ create: { width: 60, height: 40, channels: 3, background: { r, g: 20, b: 200 } } })
        .png()
        .toBuffer();
    const bytes = await sharp([await frame(255), await frame(0), await frame(128)], { join: { animated: true } })
      .gif()
      .toBuffer();
    const media = await world.upload(me, 'image', { bytes, contentType: 'image/gif', filename: 'anim.gif' });
    expect([media.width, media.height]).toEqual([60, 40]);
    const { meta } = await thumbnailOf(media);
    expect([meta.width, meta.height, meta.pages ?? 1]).toEqual([60, 40, 1]);
  });

  it('makes no thumbnail for voice notes and files', async () => {
    const voice = await world.upload(me, 'voice', wav());
    const file = await world.upload(me, 'file', binary());
    // Once the consumer has handled every upload so far, it has decided about these two.
    await waitForEvent(world, MediaEvents.uploaded.type, file.id);
    const uploads = world.events.filter((e) => e.type === MediaEvents.uploaded.type).length;
    await expect.poll(() => handledByThumbnails(world), { timeout: 15_000 }).toBeGreaterThanOrEqual(uploads);
    for (const media of [voice, file]) {
      const err = await world.fail(MediaEndpoints.grant, { mediaId: media.id, variant: 'thumbnail', caller: me });
      expect(err.code).toBe('MEDIA_NOT_FOUND');
      expect((await world.call(MediaEndpoints.get, { caller: me, mediaId: media.id })).thumbnailUrl).toBeNull();
    }
  });

  it('makes one thumbnail however often the upload event is delivered', async () => {
    const media = await world.upload(me, 'image', await png(400, 400));
    const first = await thumbnailOf(media);
    const uploaded = eventsOf(world, MediaEvents.uploaded.type, media.id)[0]!;
    const handled = await handledByThumbnails(world);
    // The same event again, as a redelivery would bring it.
    await world.bus.emit(MediaEvents.uploaded, uploaded.data as never);
    await world.bus.emit(MediaEvents.uploaded, uploaded.data as never);
    await expect.poll(() => handledByThumbnails(world), { timeout: 15_000 }).toBeGreaterThanOrEqual(handled + 2);
    const again = await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'thumbnail', caller: me });
    expect(again.sha256).toBe(first.grant.sha256);
    expect(eventsOf(world, MediaEvents.ready.type, media.id)).toHaveLength(1);
  });

  it('dead-letters an image whose header reads but whose pixels do not decode', async () => {
    const broken = handmadePng(100, 100, randomBytes(64));
    const media = await world.upload(me, 'image', broken);
    expect([media.width, media.height]).toEqual([100, 100]);
    await expect
      .poll(
        async () =>
          (await world.bus.deadLetters('media-thumbnails')).map((d) => (d.envelope.data as { mediaId: string }).mediaId),
        {
          timeout: 15_000,
        },
      )
      .toContain(media.id);
    const err = await world.fail(MediaEndpoints.grant, { mediaId: media.id, variant: 'thumbnail', caller: me });
    expect(err.code).toBe('MEDIA_NOT_FOUND');
    // The original is still there for its owner.
    expect((await world.call(MediaEndpoints.grant, { mediaId: media.id, variant: 'original', caller: me })).size).toBe(
      broken.bytes.length,
    );
  });
});
