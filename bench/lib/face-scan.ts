/** Descriptors are 128-d; face-api's are roughly unit length (norms ~0.9–1.1). */
export const DIMENSIONS = 128;

/** `count` random vectors scaled to unit length, one contiguous block: what an owner's index holds. */
export function syntheticDescriptors(count: number, seed = 1): Float32Array {
  const out = new Float32Array(count * DIMENSIONS);
  // A small deterministic generator (xorshift32): the same library every run, no crypto cost.
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000 - 0.5;
  };
  for (let row = 0; row < count; row++) {
    let norm = 0;
    const base = row * DIMENSIONS;
    for (let d = 0; d < DIMENSIONS; d++) {
      const value = next();
      out[base + d] = value;
      norm += value * value;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let d = 0; d < DIMENSIONS; d++) out[base + d] = (out[base + d] as number) * scale;
  }
  return out;
}

/**
 * The floor of a search: one query against every stored descriptor, squared Euclidean distance,
 * keeping the nearest, in plain JS over a Float32Array. No index can do less work than this scan
 * without approximating.
 */
export function nearest(library: Float32Array, query: Float32Array): { row: number; distance: number } {
  const rows = library.length / DIMENSIONS;
  let best = -1;
  let bestSquared = Number.POSITIVE_INFINITY;
  for (let row = 0; row < rows; row++) {
    const base = row * DIMENSIONS;
    let sum = 0;
    for (let d = 0; d < DIMENSIONS; d++) {
      const diff = (library[base + d] as number) - (query[d] as number);
      sum += diff * diff;
    }
    if (sum < bestSquared) {
      bestSquared = sum;
      best = row;
    }
  }
  return { row: best, distance: Math.sqrt(bestSquared) };
}
