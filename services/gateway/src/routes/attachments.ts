import multipart from '@fastify/multipart';
import {
  AttachmentReply,
  type Caller,
  ChatEndpoints,
  ChatPaths,
  isParleyError,
  MediaEndpoints,
  type MediaObject,
  type MessageMedia,
  ParleyError,
  Problem,
  RoomIdParams,
  UploadKind,
  UploadKinds,
} from '@parley/contracts';
import { runWithContext } from '@parley/kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { drainRequest } from '../lib/drain.ts';
import { parseKind, type ReceivedFile, type Uploads } from '../lib/upload.ts';
import { multipartBody, uploadRouteOptions } from '../lib/upload-route.ts';

export interface AttachmentRoutesOptions {
  timeoutMs: number;
  uploads: Uploads;
}

// Upload routes skip schema validation (the body is streamed), so the room id is checked here.
const ROOM_ID_MAX = 64;

const roomNotFound = (): ParleyError => new ParleyError('ROOM_NOT_FOUND', 'No such room');

const messageMedia = (m: MediaObject): MessageMedia => ({
  id: m.id,
  kind: m.kind,
  contentType: m.contentType,
  size: m.size,
  filename: m.filename,
  url: m.url,
  thumbnailUrl: m.thumbnailUrl,
});

/** `POST /rooms/:id/attachments`: the file is stored as the room's media, then posted as a message carrying it. */
export async function attachmentRoutes(app: FastifyInstance, opts: AttachmentRoutesOptions): Promise<void> {
  const { bus } = app.parley;
  const call = { timeoutMs: opts.timeoutMs };
  const read = { timeoutMs: opts.timeoutMs, retries: 1 };
  await app.register(multipart);

  /** Members only, asked before a byte is read: nobody else gets to fill the store, nor to learn the room exists. */
  const admit = async (req: FastifyRequest, reply: FastifyReply, caller: Caller, roomId: string): Promise<void> => {
    const member =
      roomId.length <= ROOM_ID_MAX &&
      (await bus.request(ChatEndpoints.membership, { roomId, userId: caller.userId }, read)).member;
    if (member) return;
    drainRequest(req, reply);
    throw roomNotFound();
  };

  const register = async (caller: Caller, roomId: string, file: ReceivedFile) => {
    try {
      return await bus.request(MediaEndpoints.register, { ...file, caller, roomId }, call);
    } catch (err) {
      // The media service asks again: the caller left (or was removed) while the bytes streamed.
      if (isParleyError(err) && err.code === 'NOT_FOUND') throw roomNotFound();
      throw err;
    }
  };

  /**
   * Nothing orphaned: media that no message carries is deleted again before the failure is answered.
   * Not after a timeout, though: the message may have been posted, and it must not point at nothing.
   */
  const post = async (req: FastifyRequest, caller: Caller, roomId: string, media: MediaObject) => {
    try {
      return await bus.request(ChatEndpoints.postMessage, { caller, roomId, text: '', media: messageMedia(media) }, call);
    } catch (err) {
      if (isParleyError(err) && err.code === 'UPSTREAM_TIMEOUT') {
        req.log.warn({ mediaId: media.id, roomId }, 'attachment: no answer to its message; the media is kept');
        throw err;
      }
      await bus.request(MediaEndpoints.delete, { caller, mediaId: media.id }, call).catch((cleanup: unknown) => {
        req.log.warn({ err: cleanup, mediaId: media.id }, 'attachment: media left behind after its message failed');
      });
      throw err;
    }
  };

  app.post(
    ChatPaths.attachments,
    {
      schema: {
        summary:
          'Attach a file to a room (members only): multipart `kind` field before `file`, or `?kind=`; posts a message carrying its URL',
        tags: ['rooms'],
        params: RoomIdParams,
        ...multipartBody({ kind: UploadKind }),
        querystring: Type.Object({ kind: Type.Optional(UploadKind) }),
        security: [{ bearer: [] }],
        response: { 201: AttachmentReply, '4xx': Problem, '5xx': Problem },
      },
      ...uploadRouteOptions,
      onRequest: app.authenticate,
    },
    (req, reply) =>
      runWithContext({ requestId: req.id }, async () => {
        const caller = req.caller!;
        const { id: roomId } = req.params as { id: string };
        await admit(req, reply, caller, roomId);
        const { kind } = req.query as { kind?: string };
        const fromQuery = kind === undefined ? undefined : parseKind(kind, UploadKinds);
        const file = await opts.uploads.receive(req, reply, { kind: fromQuery, kinds: UploadKinds });
        const media = await register(caller, roomId, file);
        const message = await post(req, caller, roomId, media);
        return reply.code(201).header('location', media.url).send({ message, media });
      }),
  );
}
