import { type Caller, FaceEndpoints } from '@parley/contracts';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crop, group } from './helpers/fixtures.ts';
import { type FaceWorld, newCaller, startFaces } from './helpers/harness.ts';

const SLOW = 180_000;
/** Counted by eye: every face turned towards the camera (bbt2's three people seen from behind are not). */
const GROUP_FACES = [4, 3, 5, 6, 5];

const gradient = () =>
  sharp(Buffer.from(Array.from({ length: 256 * 256 * 3 }, (_, i) => (i % 768) / 3)), {
    raw: { width: 256, height: 256, channels: 3 },
  })
    .png()
    .toBuffer();

describe('photos as people send them', () => {
  let world: FaceWorld;
  const owner: Caller = newCaller();
  let identityId: string;
  const add = async (...photos: { bytes: Buffer; filename?: string }[]) =>
    world.bus.request(
      FaceEndpoints.addPhotos,
      { caller: owner, identityId, photos: await Promise.all(photos.map((p) => world.photo(p.bytes, p.filename ?? ''))) },
      { timeoutMs: 120_000 },
    );

  beforeAll(async () => {
    world = await startFaces();
    identityId = (await world.call(FaceEndpoints.createIdentity, { caller: owner, name: 'Amy' })).id;
  }, SLOW);
  afterAll(() => world?.close());

  it(
    'finds every face in the group photos, with boxes inside the photo',
    async () => {
      const counts: number[] = [];
      for (let n = 1; n <= 5; n++) {
        const bytes = await group(n);
        const { width, height } = await sharp(bytes).metadata();
        const reply = await world.search(owner, bytes);
        counts.push(reply.faces.length);
        for (const { box } of reply.faces) {
          expect(box.x + box.width).toBeLessThanOrEqual(width!);
          expect(box.y + box.height).toBeLessThanOrEqual(height!);
        }
      }
      expect(counts).toEqual(GROUP_FACES);
    },
    SLOW,
  );

  it(
    'adds the photos with one face and rejects the others one by one, named by file or position',
    async () => {
      const reply = await add(
        { bytes: await crop('amy', 1), filename: 'amy1.png' },
        { bytes: await gradient(), filename: 'wall.png' },
        { bytes: await group(3), filename: 'party.jpg' },
        { bytes: Buffer.from('definitely not an image, just some words') },
      );
      expect(reply.added).toEqual([{ photoId: expect.any(String), file: 'amy1.png', box: expect.any(Object) }]);
      expect(reply.rejected.map((r) => [r.file, r.code])).toEqual([
        ['wall.png', 'NO_FACE'],
        ['party.jpg', 'MULTIPLE_FACES'],
        ['#4', 'INVALID_IMAGE'],
      ]);
      const { items } = await world.call(FaceEndpoints.listIdentities, { caller: owner });
      expect(items[0]).toMatchObject({ id: identityId, photoCount: 1 });
    },
    SLOW,
  );

  it(
    'answers a photo without faces with no faces, and refuses what is not an image with 415',
    async () => {
      expect(await world.search(owner, await gradient())).toMatchObject({ matched: false, faces: [] });
      const error = await world.fail(FaceEndpoints.search, {
        caller: owner,
        photo: await world.photo(Buffer.from('%PDF-1.7 not a photo at all')),
      });
      expect(error).toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE', status: 415 });
    },
    SLOW,
  );

  it(
    'reads grayscale, transparent and EXIF-rotated photos, with boxes as the photo is displayed',
    async () => {
      const amy = await crop('amy', 2);
      const gray = await sharp(amy).grayscale().png().toBuffer();
      const alpha = await sharp(amy).ensureAlpha(0.9).png().toBuffer();
      const upright = await world.search(owner, amy);
      for (const variant of [gray, alpha]) {
        const reply = await world.search(owner, variant);
        expect(reply.faces).toHaveLength(1);
        expect(reply.faces[0]!.match?.identityId).toBe(identityId);
      }
      // Stored sideways (pixels turned 90° anticlockwise) with EXIF orientation 6: viewers turn it back.
      const wide = await sharp(amy).resize(300, 200, { fit: 'contain', background: '#000' }).png().toBuffer();
      const sideways = await sharp(wide).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
      expect((await sharp(sideways).metadata()).width).toBe(200);
      const plain = await world.search(owner, await sharp(wide).jpeg({ quality: 95 }).toBuffer());
      const turned = await world.search(owner, sideways);
      expect(turned.faces).toHaveLength(1);
      expect(turned.faces[0]!.match?.identityId).toBe(identityId);
      const [a, b] = [plain.faces[0]!.box, turned.faces[0]!.box];
      // Same place in the displayed 300 × 200 picture, give or take the detector's jitter.
      for (const key of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(a[key] - b[key])).toBeLessThan(12);
      expect(upright.faces[0]!.match?.identityId).toBe(identityId);
    },
    SLOW,
  );

  it(
    'refuses a photo over MAX_IMAGE_PIXELS: 413 for a search, INVALID_IMAGE for an enrolment',
    async () => {
      const huge = await sharp({ create: { width: 6000, height: 6000, channels: 3, background: '#777' } })
        .png()
        .toBuffer();
      const error = await world.fail(FaceEndpoints.search, { caller: owner, photo: await world.photo(huge) });
      expect(error).toMatchObject({ code: 'IMAGE_TOO_LARGE', status: 413 });
      const reply = await add({ bytes: huge, filename: 'huge.png' });
      expect(reply.rejected).toEqual([{ file: 'huge.png', code: 'INVALID_IMAGE', detail: expect.any(String) }]);
    },
    SLOW,
  );
});
