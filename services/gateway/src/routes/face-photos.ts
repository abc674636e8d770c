import multipart from '@fastify/multipart';
import {
  AddPhotosReply,
  type Caller,
  FaceEndpoints,
  FacePaths,
  IdentityParams,
  ParleyError,
  PHOTOS_PER_REQUEST_MAX,
  Problem,
  SearchReply,
} from '@parley/contracts';
import { runWithContext } from '@parley/kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { drainRequest } from '../lib/drain.ts';
import type { FaceUploads, ReceivedPhotos } from '../lib/face-uploads.ts';
import { multipartBody, uploadRouteOptions } from '../lib/upload-route.ts';

export interface FacePhotoRoutesOptions {
  uploads: FaceUploads;
  timeoutMs: number;
  /** For the calls that run face inference. */
  inferenceTimeoutMs: number;
}

// Upload routes skip schema validation (the body is streamed), so the identity id is checked here.
const IDENTITY_ID_MAX = 64;

const identityNotFound = (): ParleyError => new ParleyError('IDENTITY_NOT_FOUND', 'No such identity in your library');

/** The gateway's refusals (not an image) and the service's, in the order the files came in the form. */
const merge = (received: ReceivedPhotos, reply: AddPhotosReply | undefined): AddPhotosReply => {
  const at = (file: string): number => received.order.get(file) ?? Number.MAX_SAFE_INTEGER;
  const rejected = [...received.invalid, ...(reply?.rejected ?? [])].sort((a, b) => at(a.file) - at(b.file));
  return { added: reply?.added ?? [], rejected };
};

/** `POST /faces/identities/:id/photos` and `POST /faces/search`: the photos pass through the scratch store and are deleted once answered. */
export async function facePhotoRoutes(app: FastifyInstance, opts: FacePhotoRoutesOptions): Promise<void> {
  const { bus } = app.parley;
  const { uploads } = opts;
  const infer = { timeoutMs: opts.inferenceTimeoutMs };
  const read = { timeoutMs: opts.timeoutMs, retries: 1 };
  await app.register(multipart);

  /** Mine only, asked before a byte is read: nobody fills the store for an identity that is not theirs. */
  const admit = async (req: FastifyRequest, reply: FastifyReply, caller: Caller, identityId: string): Promise<void> => {
    const mine =
      identityId.length <= IDENTITY_ID_MAX &&
      (await bus.request(FaceEndpoints.listIdentities, { caller }, read)).items.some((i) => i.id === identityId);
    if (mine) return;
    drainRequest(req, reply);
    throw identityNotFound();
  };

  app.post(
    FacePaths.photos,
    {
      schema: {
        summary: `Add photos of an identity (multipart, one to ${PHOTOS_PER_REQUEST_MAX} \`file\` parts): each must show exactly one face`,
        tags: ['faces'],
        params: IdentityParams,
        ...multipartBody({}),
        security: [{ bearer: [] }],
        response: { 201: AddPhotosReply, '4xx': Problem, '5xx': Problem },
      },
      ...uploadRouteOptions,
      onRequest: app.authenticate,
    },
    (req, reply) =>
      runWithContext({ requestId: req.id }, async () => {
        const caller = req.caller!;
        const { id: identityId } = req.params as { id: string };
        await admit(req, reply, caller, identityId);
        const received = await uploads.receiveMany(req, reply);
        const { photos } = received;
        const answer = await uploads.using(req, photos, async () =>
          photos.length === 0 ? undefined : bus.request(FaceEndpoints.addPhotos, { caller, identityId, photos }, infer),
        );
        return reply.code(201).send(merge(received, answer));
      }),
  );

  app.post(
    FacePaths.search,
    {
      schema: {
        summary: 'Who of my library is in this photo (multipart `file`): every face found, with its best match or null',
        tags: ['faces'],
        ...multipartBody({}),
        security: [{ bearer: [] }],
        response: { 200: SearchReply, '4xx': Problem, '5xx': Problem },
      },
      ...uploadRouteOptions,
      onRequest: app.authenticate,
    },
    (req, reply) =>
      runWithContext({ requestId: req.id }, async () => {
        const caller = req.caller!;
        const photo = await uploads.receiveOne(req, reply);
        return uploads.using(req, [photo], () => bus.request(FaceEndpoints.search, { caller, photo }, infer));
      }),
  );
}
