import { availableParallelism } from 'node:os';
import { DefaultPorts } from '@parley/contracts';
import { baseServiceConfig, ConfigFields, integerField, loadConfig } from '@parley/kit';
import { type Static, Type } from 'typebox';

// libvips' own ceiling (0x3FFF × 0x3FFF): above it sharp refuses regardless.
const SHARP_PIXEL_CEILING = 268_402_689;

/**
 * Euclidean distance between descriptors under which two faces are the same person. 0.6 gave the
 * best pairwise accuracy on the fixtures (0.990; docs/faces.md has the figures).
 */
export const DEFAULT_THRESHOLD = 0.6;

export const FaceMatchConfigSchema = Type.Object({
  ...baseServiceConfig(DefaultPorts['face-match']).properties,
  BLOB_STORE: ConfigFields.BLOB_STORE,
  FACE_MATCH_THRESHOLD: Type.Number({ minimum: 0, maximum: 2, default: DEFAULT_THRESHOLD }),
  /** Inference threads, each with its own copy of the models. */
  FACE_WORKERS: integerField(1, 256, Math.max(1, availableParallelism())),
  /** Photos that may wait for a worker; more are refused with 503 + Retry-After instead of queueing. */
  FACE_QUEUE_MAX: integerField(0, 100_000, 16),
  MAX_IMAGE_PIXELS: integerField(1, SHARP_PIXEL_CEILING, 32_000_000),
  /** Descriptors kept in memory over all owners' indexes (512 bytes each); least recently searched go first. */
  FACE_INDEX_MAX_DESCRIPTORS: integerField(1000, 100_000_000, 1_000_000),
  /** An index older than this is reloaded: the safety net for a missed change message. */
  FACE_INDEX_MAX_AGE_SECONDS: integerField(1, 86_400, 60),
});
export type FaceMatchConfig = Static<typeof FaceMatchConfigSchema>;

export const loadFaceMatchConfig = (env: NodeJS.ProcessEnv = process.env): FaceMatchConfig =>
  loadConfig(FaceMatchConfigSchema, env);
