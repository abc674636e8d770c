import { MediaKindRules, mediaRules } from '@parley/contracts';
import { ConfigError } from '@parley/kit';
import { describe, expect, it } from 'vitest';
import { loadMediaConfig, rulesOf } from '../src/config.ts';

describe('media configuration', () => {
  it('defaults: fs blobs, 32 megapixels, one-hour URLs, 320 px thumbnails, the kind rules of API.md', () => {
    const config = loadMediaConfig({});
    expect(config).toMatchObject({
      BLOB_STORE: 'fs',
      PUBLIC_URL: 'http://localhost:3000',
      MAX_IMAGE_PIXELS: 32_000_000,
      SIGNED_URL_TTL_SECONDS: 3600,
      THUMBNAIL_SIZE: 320,
    });
    expect(rulesOf(config)).toEqual(MediaKindRules);
  });

  it('applies UPLOAD_LIMIT_<KIND>_BYTES to that kind only', () => {
    const config = loadMediaConfig({ UPLOAD_LIMIT_VOICE_BYTES: '1000', UPLOAD_LIMIT_FILE_BYTES: '5000000000' });
    const rules = rulesOf(config);
    expect(rules.voice).toEqual({ types: MediaKindRules.voice.types, maxBytes: 1000 });
    expect(rules.file.maxBytes).toBe(5_000_000_000);
    expect(rules.image).toEqual(MediaKindRules.image);
    // The gateway reads the same helper from contracts.
    expect(mediaRules(config)).toEqual(rules);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadMediaConfig({ BLOB_STORE: 's3', MAX_IMAGE_PIXELS: 'lots', UPLOAD_LIMIT_IMAGE_BYTES: '0', THUMBNAIL_SIZE: '1.5' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.key).sort()).toEqual(
      ['BLOB_STORE', 'MAX_IMAGE_PIXELS', 'THUMBNAIL_SIZE', 'UPLOAD_LIMIT_IMAGE_BYTES'].sort(),
    );
  });
});
