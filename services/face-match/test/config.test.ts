import { availableParallelism } from 'node:os';
import { ConfigError } from '@parley/kit';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLD, loadFaceMatchConfig } from '../src/index.ts';

describe('face-match configuration', () => {
  it('defaults: the measured threshold, a worker per core, a short queue, 32 megapixels', () => {
    expect(loadFaceMatchConfig({})).toMatchObject({
      FACE_MATCH_THRESHOLD: DEFAULT_THRESHOLD,
      FACE_WORKERS: Math.max(1, availableParallelism()),
      FACE_QUEUE_MAX: 16,
      MAX_IMAGE_PIXELS: 32_000_000,
      BLOB_STORE: 'fs',
    });
    expect(loadFaceMatchConfig({ FACE_MATCH_THRESHOLD: '0.5' }).FACE_MATCH_THRESHOLD).toBe(0.5);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadFaceMatchConfig({ FACE_MATCH_THRESHOLD: 'close', FACE_WORKERS: '0', FACE_QUEUE_MAX: '-1' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.key).sort()).toEqual([
      'FACE_MATCH_THRESHOLD',
      'FACE_QUEUE_MAX',
      'FACE_WORKERS',
    ]);
  });
});
