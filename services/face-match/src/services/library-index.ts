import type { IndexRow } from '../repositories/photos.ts';

export const DESCRIPTOR_LENGTH = 128;

/** One owner's descriptors in one contiguous array: row i is `descriptors[i*128 .. i*128+127]`. */
export interface OwnerIndex {
  descriptors: Float32Array;
  identityIds: string[];
  names: string[];
  loadedAt: number;
}

export interface Nearest {
  identityId: string;
  name: string;
  distance: number;
}

export interface LibraryIndex {
  get(ownerId: string): Promise<OwnerIndex>;
  /** Forget an owner's index (its library changed here or on another copy); the next search reloads it. */
  invalidate(ownerId: string): void;
  stats(): { owners: number; descriptors: number };
}

export interface LibraryIndexOptions {
  load(ownerId: string): Promise<IndexRow[]>;
  maxDescriptors: number;
  maxAgeMs: number;
  now?: () => number;
}

export const buildIndex = (rows: IndexRow[], loadedAt: number): OwnerIndex => {
  const descriptors = new Float32Array(rows.length * DESCRIPTOR_LENGTH);
  const bytes = new Uint8Array(descriptors.buffer);
  for (const [i, row] of rows.entries()) bytes.set(row.descriptor, i * DESCRIPTOR_LENGTH * 4);
  return { descriptors, identityIds: rows.map((r) => r.identityId), names: rows.map((r) => r.name), loadedAt };
};

/** Brute force: 100,000 descriptors take a few milliseconds (bench/), no approximate index needed. */
export const nearest = (index: OwnerIndex, query: Float32Array): Nearest | null => {
  const { descriptors } = index;
  let best = -1;
  let bestSquared = Number.POSITIVE_INFINITY;
  for (let row = 0, at = 0; row < index.identityIds.length; row++, at += DESCRIPTOR_LENGTH) {
    let sum = 0;
    for (let k = 0; k < DESCRIPTOR_LENGTH && sum < bestSquared; k++) {
      const d = descriptors[at + k]! - query[k]!;
      sum += d * d;
    }
    if (sum < bestSquared) {
      bestSquared = sum;
      best = row;
    }
  }
  if (best < 0) return null;
  return { identityId: index.identityIds[best]!, name: index.names[best]!, distance: Math.sqrt(bestSquared) };
};

/**
 * Per-owner indexes, loaded lazily, least recently used dropped first once over `maxDescriptors`.
 * A load that an invalidation overtook is served to its callers but not kept: it may predate the change.
 */
export const createLibraryIndex = (options: LibraryIndexOptions): LibraryIndex => {
  const now = options.now ?? Date.now;
  // Map order is recency: a hit moves the owner to the end.
  const cache = new Map<string, OwnerIndex>();
  const generations = new Map<string, number>();
  const loading = new Map<string, Promise<OwnerIndex>>();
  let total = 0;

  const drop = (ownerId: string) => {
    const held = cache.get(ownerId);
    if (held) total -= held.identityIds.length;
    cache.delete(ownerId);
  };

  const keep = (ownerId: string, index: OwnerIndex) => {
    drop(ownerId);
    cache.set(ownerId, index);
    total += index.identityIds.length;
    for (const oldest of cache.keys()) {
      if (total <= options.maxDescriptors || oldest === ownerId) break;
      drop(oldest);
    }
  };

  const load = async (ownerId: string): Promise<OwnerIndex> => {
    const generation = generations.get(ownerId) ?? 0;
    const index = buildIndex(await options.load(ownerId), now());
    if ((generations.get(ownerId) ?? 0) === generation) keep(ownerId, index);
    return index;
  };

  return {
    get(ownerId) {
      const held = cache.get(ownerId);
      if (held && now() - held.loadedAt < options.maxAgeMs) {
        cache.delete(ownerId);
        cache.set(ownerId, held);
        return Promise.resolve(held);
      }
      const pending = loading.get(ownerId);
      if (pending) return pending;
      const started = load(ownerId).finally(() => {
        if (loading.get(ownerId) === started) loading.delete(ownerId);
      });
      loading.set(ownerId, started);
      return started;
    },
    invalidate(ownerId) {
      generations.set(ownerId, (generations.get(ownerId) ?? 0) + 1);
      loading.delete(ownerId);
      drop(ownerId);
    },
    stats: () => ({ owners: cache.size, descriptors: total }),
  };
};
