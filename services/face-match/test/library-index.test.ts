import { describe, expect, it } from 'vitest';
import type { IndexRow } from '../src/repositories/photos.ts';
import { createLibraryIndex, DESCRIPTOR_LENGTH, nearest } from '../src/services/library-index.ts';

const descriptor = (value: number): Uint8Array => {
  const floats = new Float32Array(DESCRIPTOR_LENGTH).fill(0);
  floats[0] = value;
  return new Uint8Array(floats.buffer);
};
const row = (identityId: string, value: number): IndexRow => ({ identityId, name: identityId, descriptor: descriptor(value) });
const query = (value: number) => new Float32Array(descriptor(value).buffer);

/** A fake store of rows per owner that counts loads and can hold one back. */
const store = (rows: Record<string, IndexRow[]>) => {
  const loads: string[] = [];
  let hold: Promise<void> | null = null;
  return {
    loads,
    holdNext(until: Promise<void>) {
      hold = until;
    },
    async load(ownerId: string) {
      loads.push(ownerId);
      const held = hold;
      const snapshot = [...(rows[ownerId] ?? [])];
      hold = null;
      if (held) await held;
      return snapshot;
    },
  };
};

describe('the in-memory library index', () => {
  it('finds the nearest descriptor and its distance', async () => {
    const rows = store({ a: [row('x', 0), row('y', 1), row('z', 3)] });
    const index = createLibraryIndex({ load: rows.load, maxDescriptors: 100, maxAgeMs: 60_000 });
    expect(nearest(await index.get('a'), query(0.8))).toEqual({ identityId: 'y', name: 'y', distance: expect.closeTo(0.2, 5) });
    expect(nearest(await index.get('nobody'), query(0))).toBeNull();
  });

  it('loads once, reloads after an invalidation or when too old', async () => {
    let now = 0;
    const rows = store({ a: [row('x', 0)] });
    const index = createLibraryIndex({ load: rows.load, maxDescriptors: 100, maxAgeMs: 1000, now: () => now });
    await Promise.all([index.get('a'), index.get('a')]);
    await index.get('a');
    expect(rows.loads).toEqual(['a']);
    index.invalidate('a');
    await index.get('a');
    now = 5000;
    await index.get('a');
    expect(rows.loads).toEqual(['a', 'a', 'a']);
  });

  it('does not keep a load that an invalidation overtook', async () => {
    const data = { a: [row('x', 0)] };
    const rows = store(data);
    const index = createLibraryIndex({ load: rows.load, maxDescriptors: 100, maxAgeMs: 60_000 });
    let release!: () => void;
    rows.holdNext(new Promise((r) => (release = r)));
    const stale = index.get('a');
    data.a = [];
    index.invalidate('a');
    release();
    expect((await stale).identityIds).toEqual(['x']);
    expect((await index.get('a')).identityIds).toEqual([]);
  });

  it('drops the least recently searched owners beyond its size', async () => {
    const rows = store({ a: [row('a1', 0), row('a2', 1)], b: [row('b1', 0), row('b2', 1)], c: [row('c1', 0)] });
    const index = createLibraryIndex({ load: rows.load, maxDescriptors: 4, maxAgeMs: 60_000 });
    await index.get('a');
    await index.get('b');
    await index.get('a');
    await index.get('c');
    expect(index.stats()).toEqual({ owners: 2, descriptors: 3 });
    await index.get('a');
    await index.get('b');
    expect(rows.loads).toEqual(['a', 'b', 'c', 'b']);
  });
});
