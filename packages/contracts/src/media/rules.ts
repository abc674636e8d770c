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

/** Kinds whose bytes must be an image: their header is read, their size in pixels limited and a thumbnail made. */
export const ImageKinds: readonly MediaKind[] = ['image', 'sticker', 'avatar'];

/** The environment variable that overrides a kind's size limit, e.g. `UPLOAD_LIMIT_IMAGE_BYTES`. */
export type UploadLimitVariable = `UPLOAD_LIMIT_${Uppercase<MediaKind>}_BYTES`;
export const uploadLimitVariable = (kind: MediaKind): UploadLimitVariable =>
  `UPLOAD_LIMIT_${kind.toUpperCase() as Uppercase<MediaKind>}_BYTES`;

export type MediaRules = Record<MediaKind, { types: readonly string[] | 'any'; maxBytes: number }>;

/**
 * The rules in force: `MediaKindRules` with any `UPLOAD_LIMIT_<KIND>_BYTES` of a loaded config applied.
 * The gateway (which enforces them while streaming) and the media service (which checks again) both use this.
 */
export const mediaRules = (config: Partial<Record<UploadLimitVariable, number | undefined>>): MediaRules => {
  const rules = {} as MediaRules;
  for (const [kind, rule] of Object.entries(MediaKindRules) as [MediaKind, MediaRules[MediaKind]][]) {
    rules[kind] = { types: rule.types, maxBytes: config[uploadLimitVariable(kind)] ?? rule.maxBytes };
  }
  return rules;
};

/** Does `contentType` (sniffed from the bytes) pass `kind`'s allow-list? */
export const acceptsType = (rules: MediaRules, kind: MediaKind, contentType: string): boolean => {
  const { types } = rules[kind];
  return types === 'any' || types.includes(contentType);
};
