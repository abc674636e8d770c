import { DefaultPorts, type MediaRules, mediaRules } from '@parley/contracts';
import { baseServiceConfig, ConfigFields, integerField, loadConfig, urlField } from '@parley/kit';
import { type Static, Type } from 'typebox';

const DAY = 24 * 60 * 60;
// libvips' own ceiling (0x3FFF × 0x3FFF): above it sharp refuses regardless.
const SHARP_PIXEL_CEILING = 268_402_689;

/** Unset keeps the kind's default from `MediaKindRules`. */
const uploadLimit = () => Type.Optional(integerField(1, 64 * 1024 ** 3));

export const MediaConfigSchema = Type.Object({
  ...baseServiceConfig(DefaultPorts.media).properties,
  BLOB_STORE: ConfigFields.BLOB_STORE,
  /** Where people reach the gateway: signed URLs point there, not at this service's own port. */
  PUBLIC_URL: urlField(['http:', 'https:'], { default: `http://localhost:${DefaultPorts.gateway}` }),
  // API.md allows 50 Mpx; 32 Mpx still covers every phone camera and bounds a decode to ~128 MB of RGBA.
  MAX_IMAGE_PIXELS: integerField(1, SHARP_PIXEL_CEILING, 32_000_000),
  SIGNED_URL_TTL_SECONDS: integerField(60, 7 * DAY, 3600),
  THUMBNAIL_SIZE: integerField(16, 2048, 320),
  UPLOAD_LIMIT_IMAGE_BYTES: uploadLimit(),
  UPLOAD_LIMIT_STICKER_BYTES: uploadLimit(),
  UPLOAD_LIMIT_VOICE_BYTES: uploadLimit(),
  UPLOAD_LIMIT_FILE_BYTES: uploadLimit(),
  UPLOAD_LIMIT_AVATAR_BYTES: uploadLimit(),
});
export type MediaConfig = Static<typeof MediaConfigSchema>;

export const loadMediaConfig = (env: NodeJS.ProcessEnv = process.env): MediaConfig => loadConfig(MediaConfigSchema, env);

/** The kind rules in force for this config (the same helper the gateway uses). */
export const rulesOf = (config: MediaConfig): MediaRules => mediaRules(config);
