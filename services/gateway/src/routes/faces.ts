import { FaceEndpoints, FaceRoutes } from '@parley/contracts';
import type { FastifyInstance } from 'fastify';
import type { FaceUploads } from '../lib/face-uploads.ts';
import { registerRoute } from '../lib/route.ts';
import { facePhotoRoutes } from './face-photos.ts';

export interface FaceRoutesOptions {
  timeoutMs: number;
  /** Photos pass through the scratch store (`FACE_UPLOADS_STORE`) on their way to the face service; shared with the dialects. */
  uploads: FaceUploads;
}

/**
 * Inference takes ~0.3 s a photo and waits its turn in the service's queue (a full queue answers
 * 503 at once): a call that carries photos gets at least this long before the gateway gives up (504).
 */
export const FACE_INFERENCE_TIMEOUT_MS = 30_000;

/** API.md's Face library section: identities (JSON), their photos and search (multipart), over the bus to face-match. */
export async function faceRoutes(app: FastifyInstance, opts: FaceRoutesOptions): Promise<void> {
  const { bus } = app.parley;
  const call = { timeoutMs: opts.timeoutMs };
  const read = { timeoutMs: opts.timeoutMs, retries: 1 };
  const R = FaceRoutes;

  registerRoute(app, R.createIdentity, async ({ caller, body }) =>
    bus.request(FaceEndpoints.createIdentity, { caller, name: body.name }, call),
  );
  registerRoute(app, R.listIdentities, async ({ caller }) => bus.request(FaceEndpoints.listIdentities, { caller }, read));
  registerRoute(app, R.deleteIdentity, async ({ caller, params }) => {
    await bus.request(FaceEndpoints.deleteIdentity, { caller, identityId: params.id }, call);
    return null;
  });

  await app.register(facePhotoRoutes, {
    uploads: opts.uploads,
    timeoutMs: opts.timeoutMs,
    inferenceTimeoutMs: Math.max(opts.timeoutMs, FACE_INFERENCE_TIMEOUT_MS),
  });
}
