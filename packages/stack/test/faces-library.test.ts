import type { AddPhotosReply, FaceBox, Identity } from '@parley/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Account, type MailStack, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { group, landscape, noise, portrait, scratchFiles } from './support/faces.ts';

const aBox = { x: expect.any(Number), y: expect.any(Number), width: expect.any(Number), height: expect.any(Number) };

/** Inside the photo and of a face's size: not the whole picture. */
const expectFaceIn = (box: FaceBox, width: number, height: number): void => {
  expect(box.x).toBeGreaterThanOrEqual(-1);
  expect(box.y).toBeGreaterThanOrEqual(-1);
  expect(box.x + box.width).toBeLessThanOrEqual(width + 1);
  expect(box.y + box.height).toBeLessThanOrEqual(height + 1);
  expect(box.width).toBeGreaterThan(width / 20);
};

// Real inference (~0.3 s a photo): Alice enrols Penny once, every test reuses her library.
describe('face library through the gateway: enrol, search, privacy, delete', () => {
  let ms: MailStack;
  let alice: Account;
  let bob: Account;
  let penny: Identity;
  let enrolled: AddPhotosReply;
  beforeAll(async () => {
    ms = await startMailStack();
    [alice, bob] = await Promise.all([registerVerified(ms, newUser('alice')), registerVerified(ms, newUser('bob'))]);
    penny = await alice.client.faces.createIdentity('Penny');
    enrolled = await alice.client.faces.addPhotos(penny.id, [
      await portrait('penny', 1),
      await portrait('penny', 2),
      await portrait('penny', 3),
    ]);
  }, 120_000);
  afterAll(async () => ms?.close());
  afterEach(async () => {
    // Photos are never kept: the scratch store is empty once each request is answered.
    expect(await scratchFiles()).toEqual([]);
  });

  it('adds three crops of one person: three photos, each with its face box', async () => {
    expect(enrolled.rejected).toEqual([]);
    expect(enrolled.added.map((a) => a.file)).toEqual(['penny1.png', 'penny2.png', 'penny3.png']);
    for (const added of enrolled.added) {
      expect(added).toEqual({ photoId: expect.any(String), box: aBox, file: expect.any(String) });
      expectFaceIn(added.box, 150, 150);
    }
    expect((await alice.client.faces.listIdentities()).items).toEqual([{ ...penny, photoCount: 3 }]);
  });

  it('takes the one good photo of a mixed request and names each refused file with its reason', async () => {
    const stuart = await bob.client.faces.createIdentity('Stuart');
    const reply = await bob.client.faces.addPhotos(stuart.id, [
      await portrait('stuart', 1),
      await landscape(),
      noise(),
      await group(3),
    ]);
    expect(reply.added).toEqual([{ photoId: expect.any(String), box: aBox, file: 'stuart1.png' }]);
    expect(reply.rejected).toEqual([
      { file: 'sky.png', code: 'NO_FACE', detail: expect.any(String) },
      { file: 'noise.bin', code: 'INVALID_IMAGE', detail: expect.any(String) },
      { file: 'bbt3.jpg', code: 'MULTIPLE_FACES', detail: expect.any(String) },
    ]);
    expect((await bob.client.faces.listIdentities()).items).toEqual([{ ...stuart, photoCount: 1 }]);
  });

  it('finds Penny in another photo of her', async () => {
    const found = await alice.client.faces.search((await portrait('penny', 4)).bytes, 'penny4.png');
    expect(found.matched).toBe(true);
    expect(found.faces).toHaveLength(1);
    expect(found.faces[0]?.match).toMatchObject({ identityId: penny.id, name: 'Penny' });
    const match = found.faces[0]?.match;
    expect(match?.distance).toBeLessThan(found.threshold);
    expect(match?.similarity).toBeCloseTo(Math.max(0, Math.min(1, 1 - (match?.distance ?? 0))), 6);
  });

  it('finds every face of a group photo and only Penny among them', async () => {
    // bbt3 shows five people (counted by eye): Sheldon, Howard, Penny, Raj, Leonard.
    const found = await alice.client.faces.search((await group(3)).bytes, 'bbt3.jpg');
    expect(found.matched).toBe(true);
    expect(found.faces).toHaveLength(5);
    for (const face of found.faces) expectFaceIn(face.box, 594, 383);
    const matched = found.faces.filter((f) => f.match !== null);
    expect(matched.map((f) => f.match?.identityId)).toEqual([penny.id]);
    // Penny stands in the middle of the five.
    const xs = found.faces.map((f) => f.box.x).sort((p, q) => p - q);
    expect(matched[0]?.box.x).toBe(xs[2]);
  });

  it('answers requests carrying the same bytes at once: one does not delete the photo another still needs', async () => {
    const photo = (await portrait('penny', 5)).bytes;
    const answers = await Promise.all([1, 2, 3].map(() => alice.client.faces.search(photo, 'penny5.png')));
    for (const found of answers) expect(found.faces[0]?.match).toMatchObject({ identityId: penny.id });
  });

  it('never matches against another user’s library', async () => {
    const found = await bob.client.faces.search((await portrait('penny', 4)).bytes, 'penny4.png');
    expect(found.faces).toHaveLength(1);
    expect(found).toMatchObject({ matched: false, faces: [{ box: aBox, match: null }] });
  });

  it('a photo with no face is no error for a search: no faces, no match', async () => {
    const found = await alice.client.faces.search((await landscape()).bytes, 'sky.png');
    expect(found).toMatchObject({ matched: false, faces: [] });
  });

  it('stops matching an identity once it is deleted', async () => {
    const amy = await alice.client.faces.createIdentity('Amy');
    const added = await alice.client.faces.addPhotos(amy.id, [await portrait('amy', 1)]);
    expect(added.added).toHaveLength(1);
    const photo = (await portrait('amy', 4)).bytes;
    expect((await alice.client.faces.search(photo, 'amy4.png')).faces[0]?.match).toMatchObject({ identityId: amy.id });
    await alice.client.faces.deleteIdentity(amy.id);
    expect(await alice.client.faces.search(photo, 'amy4.png')).toMatchObject({ matched: false, faces: [{ match: null }] });
    expect((await alice.client.faces.listIdentities()).items.map((i) => i.id)).toEqual([penny.id]);
  });
});
