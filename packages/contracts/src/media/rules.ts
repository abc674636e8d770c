import type { MediaKind } from './schemas.ts';

/**
 * Per kind: which sniffed types are accepted and the default size limit (API.md;
 * configurable with `UPLOAD_LIMIT_<KIND>_BYTES`). `file` takes any type.
 */
export const MediaKindRules: Record<MediaKind, { types: readonly string[] | 'any'; maxBytes: number }> = {
  image: { types: ['image/png', 'image/jpeg', 'image/gif', 'image/webp'], maxBytes: 10 * 1024 * 1024 },
  sticker: { types: ['image/png', 'image/gif', 'image/webp'], maxBytes: 1024 * 1024 },
  voice: {
    types: ['audio/ogg', 'audio/opus', 'audio/mpeg', 'audio/mp4', 'audio/x-m4a', 'audio/wav', 'audio/x-wav', 'audio/vnd.wave'],
    maxBytes: 20 * 1024 * 1024,
  },
  file: { types: 'any', maxBytes: 100 * 1024 * 1024 },
  avatar: { types: ['image/png', 'image/jpeg', 'image/webp'], maxBytes: 5 * 1024 * 1024 },
};

/** Served inline (everything else downloads as an attachment); never SVG or HTML. */
export const InlineSafeTypes: readonly string[] = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'audio/ogg',
  'audio/opus',
  'audio/mpeg',
  'audio/mp4',
  'audio/x-m4a',
  'audio/wav',
  'audio/x-wav',
  'audio/vnd.wave',
];
