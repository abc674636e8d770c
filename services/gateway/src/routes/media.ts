import multipart from '@fastify/multipart';
import {
  MediaEndpoints,
  MediaIdParams,
  MediaObject,
  MediaPaths,
  MediaRoutes,
  Problem,
  SignedUrlQuery,
  UploadKind,
  UploadKinds,
} from '@parley/contracts';
import { type BlobStore, runWithContext } from '@parley/kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { registerRoute } from '../lib/route.ts';
import { MEDIA_MAX_AGE_SECONDS, sendMedia } from '../lib/serve-media.ts';
import { parseKind, type Uploads } from '../lib/upload.ts';
import { multipartBody, uploadRouteOptions } from '../lib/upload-route.ts';

export interface MediaRoutesOptions {
  timeoutMs: number;
  blobs: BlobStore;
  uploads: Uploads;
}

const Bytes = { description: 'The bytes', type: 'string', format: 'binary' } as const;

/** Uploads not tied to a room, my uploads, and the bytes of any media I may read. */
export async function mediaRoutes(app: FastifyInstance, opts: MediaRoutesOptions): Promise<void> {
  const { bus } = app.parley;
  const call = { timeoutMs: opts.timeoutMs };
  const read = { timeoutMs: opts.timeoutMs, retries: 1 };
  await app.register(multipart);

  registerRoute(app, MediaRoutes.listMine, async ({ caller, query }) =>
    bus.request(MediaEndpoints.list, { caller, ...query }, read),
  );
  registerRoute(app, MediaRoutes.delete, async ({ caller, params }) => {
    await bus.request(MediaEndpoints.delete, { caller, mediaId: params.id }, call);
    return null;
  });

  app.post(
    MediaPaths.upload,
    {
      schema: {
        summary:
          'Upload a file of a kind (multipart `kind` field before `file`, or `?kind=`); its type is decided from its bytes',
        tags: ['media'],
        ...multipartBody({ kind: UploadKind }),
        querystring: Type.Object({ kind: Type.Optional(UploadKind) }),
        security: [{ bearer: [] }],
        response: { 201: MediaObject, '4xx': Problem, '5xx': Problem },
      },
      ...uploadRouteOptions,
      onRequest: app.authenticate,
    },
    (req, reply) =>
      runWithContext({ requestId: req.id }, async () => {
        const { kind } = req.query as { kind?: string };
        const fromQuery = kind === undefined ? undefined : parseKind(kind, UploadKinds);
        const file = await opts.uploads.receive(req, reply, { kind: fromQuery, kinds: UploadKinds });
        const media = await bus.request(MediaEndpoints.register, { caller: req.caller!, ...file }, call);
        return reply.code(201).header('location', media.url).send(media);
      }),
  );

  const optionalAuth = async (req: FastifyRequest): Promise<void> => {
    if (req.headers.authorization !== undefined) await app.authenticate(req);
  };
  for (const variant of ['original', 'thumbnail'] as const) {
    app.route({
      method: ['GET', 'HEAD'],
      url: MediaPaths[variant],
      exposeHeadRoute: false,
      schema: {
        summary:
          variant === 'original'
            ? 'The bytes of a media (Range, ETag); with my access token or a signed `?sig=&exp=` URL'
            : 'A small WebP of an image, once made; with my access token or a signed URL',
        tags: ['media'],
        params: MediaIdParams,
        querystring: SignedUrlQuery,
        security: [{ bearer: [] }, {}],
        response: { 200: Bytes, 206: Bytes, 304: { description: 'Not modified', type: 'null' }, '4xx': Problem, '5xx': Problem },
      },
      onRequest: optionalAuth,
      handler: (req: FastifyRequest, reply: FastifyReply) =>
        runWithContext({ requestId: req.id }, async () => {
          const { id } = req.params as { id: string };
          const { sig, exp } = req.query as { sig?: string; exp?: number };
          const signature = sig !== undefined && exp !== undefined ? { sig, exp } : undefined;
          const grant = await bus.request(
            MediaEndpoints.grant,
            { mediaId: id, variant, caller: req.caller, ...(signature ? { signature } : {}) },
            read,
          );
          const maxAge = signature ? Math.min(MEDIA_MAX_AGE_SECONDS, signature.exp - Date.now() / 1000) : undefined;
          return sendMedia(req, reply, grant, opts.blobs, maxAge);
        }),
    });
  }
}
