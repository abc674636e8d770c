import { type Caller, FaceEndpoints } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLD } from '../src/index.ts';
import { crop, PEOPLE, type Person } from './helpers/fixtures.ts';
import { type FaceWorld, newCaller, startFaces } from './helpers/harness.ts';

const SLOW = 300_000;
const ENROLLED = [1, 2, 3];
const PROBES = [4, 5];

const distance = (a: Float32Array, b: Float32Array): number => {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += (a[k]! - b[k]!) ** 2;
  return Math.sqrt(sum);
};

describe('face recognition on the fixtures (8 people, 5 crops each)', () => {
  let world: FaceWorld;
  const owner: Caller = newCaller();
  const identityOf = new Map<Person, string>();

  beforeAll(async () => {
    world = await startFaces();
    // One library for every test in this file: enrolling 24 photos is the slow part.
    for (const person of PEOPLE) {
      const identity = await world.call(FaceEndpoints.createIdentity, { caller: owner, name: person });
      const photos = await Promise.all(ENROLLED.map(async (n) => world.photo(await crop(person, n), `${person}${n}.png`)));
      const reply = await world.bus.request(
        FaceEndpoints.addPhotos,
        { caller: owner, identityId: identity.id, photos },
        { timeoutMs: 120_000 },
      );
      expect(reply.rejected).toEqual([]);
      expect(reply.added).toHaveLength(3);
      identityOf.set(person, identity.id);
    }
  }, SLOW);
  afterAll(() => world?.close());

  it('lists my identities with their photo counts', async () => {
    const { items } = await world.call(FaceEndpoints.listIdentities, { caller: owner });
    expect(items.map((i) => [i.name, i.photoCount])).toEqual(PEOPLE.map((p) => [p, 3]));
  });

  it(
    'identifies the 16 other crops, and verifies pairs at the default threshold with ≥ 0.98 accuracy',
    async () => {
      let identified = 0;
      let matchedRight = 0;
      for (const person of PEOPLE) {
        for (const n of PROBES) {
          const reply = await world.search(owner, await crop(person, n));
          expect(reply.faces).toHaveLength(1);
          expect(reply.threshold).toBe(DEFAULT_THRESHOLD);
          const match = reply.faces[0]!.match;
          if (match?.identityId === identityOf.get(person)) matchedRight++;
          if (match?.name === person) identified++;
        }
      }
      // Pairwise verification over all 40 crops, with the descriptors the service's own workers compute.
      const descriptors: { person: Person; descriptor: Float32Array }[] = [];
      for (const person of PEOPLE) {
        for (const n of [...ENROLLED, ...PROBES]) {
          const found = await world.app.facePool.detect(await crop(person, n));
          if (found.kind !== 'faces') throw new Error(`${person}${n}: ${found.reason}`);
          expect(found.faces).toHaveLength(1);
          descriptors.push({ person, descriptor: found.faces[0]!.descriptor });
        }
      }
      let right = 0;
      let pairs = 0;
      for (let a = 0; a < descriptors.length; a++) {
        for (let b = a + 1; b < descriptors.length; b++) {
          const same = descriptors[a]!.person === descriptors[b]!.person;
          const under = distance(descriptors[a]!.descriptor, descriptors[b]!.descriptor) <= DEFAULT_THRESHOLD;
          if (same === under) right++;
          pairs++;
        }
      }
      const verification = right / pairs;
      console.log(
        `faces: identification ${identified}/16 (${(identified / 16).toFixed(3)}), ` +
          `verification ${right}/${pairs} (${verification.toFixed(4)}) at threshold ${DEFAULT_THRESHOLD}`,
      );
      expect(pairs).toBe(780);
      expect(verification).toBeGreaterThanOrEqual(0.98);
      // Measured 15/16 (howard4's nearest is raj, at 0.504); one more miss is allowed for other backends.
      expect(identified).toBeGreaterThanOrEqual(14);
      expect(matchedRight).toBe(identified);
    },
    SLOW,
  );

  it(
    "never matches another user's library, nor lets them see or touch its identities",
    async () => {
      const stranger = newCaller();
      const reply = await world.search(stranger, await crop('sheldon', 4));
      expect(reply).toMatchObject({ matched: false, faces: [{ match: null }] });
      expect((await world.call(FaceEndpoints.listIdentities, { caller: stranger })).items).toEqual([]);
      const theirs = identityOf.get('sheldon')!;
      const photo = await world.photo(await crop('sheldon', 5));
      for (const error of [
        await world.fail(FaceEndpoints.deleteIdentity, { caller: stranger, identityId: theirs }),
        await world.fail(FaceEndpoints.addPhotos, { caller: stranger, identityId: theirs, photos: [photo] }),
      ]) {
        expect(error).toMatchObject({ code: 'IDENTITY_NOT_FOUND', status: 404 });
      }
      // Still the owner's, untouched.
      expect((await world.search(owner, await crop('sheldon', 4))).faces[0]!.match?.identityId).toBe(theirs);
    },
    SLOW,
  );

  it(
    'stops matching a deleted identity at once, on every copy',
    async () => {
      const copy = await world.startCopy();
      const penny = identityOf.get('penny')!;
      const probe = await crop('penny', 4);
      expect((await world.search(owner, probe)).faces[0]!.match?.identityId).toBe(penny);
      // Both copies hold the owner's index in memory, penny in it.
      const holds = async (app: typeof copy) => (await app.faceIndex.get(owner.userId)).identityIds.includes(penny);
      expect([await holds(world.app), await holds(copy)]).toEqual([true, true]);

      await world.call(FaceEndpoints.deleteIdentity, { caller: owner, identityId: penny });
      // Whichever copy handled it, the other heard of it on the bus and dropped its index.
      await expect.poll(async () => [await holds(world.app), await holds(copy)], { timeout: 30_000 }).toEqual([false, false]);
      for (let i = 0; i < 4; i++) {
        const reply = await world.search(owner, probe);
        expect(reply.faces[0]!.match?.identityId ?? null).not.toBe(penny);
      }
      const error = await world.fail(FaceEndpoints.deleteIdentity, { caller: owner, identityId: penny });
      expect(error.code).toBe('IDENTITY_NOT_FOUND');
    },
    SLOW,
  );

  it(
    'records enrolments, deletions and searches as audit events, without images or descriptors',
    async () => {
      await expect
        .poll(() => world.events.map((e) => e.type), { timeout: 15_000 })
        .toEqual(
          expect.arrayContaining(['face.identity.created', 'face.photos.enrolled', 'face.searched', 'face.identity.deleted']),
        );
      const enrolled = world.events.find((e) => e.type === 'face.photos.enrolled')!;
      expect(enrolled).toMatchObject({ actor: owner.userId, data: { ownerId: owner.userId, rejected: 0 } });
      expect((enrolled.data as { added: string[] }).added).toHaveLength(3);
      const deleted = world.events.find((e) => e.type === 'face.identity.deleted')!;
      expect(deleted.data).toEqual({ identityId: identityOf.get('penny'), ownerId: owner.userId, photos: 3 });
      const text = JSON.stringify(world.events);
      expect(text).not.toMatch(/descriptor|base64|"data":"[A-Za-z0-9+/]{200,}/);
    },
    SLOW,
  );
});
