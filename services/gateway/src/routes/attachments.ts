import multipart from '@fastify/multipart';
import { AttachmentReply, ChatPaths, Problem, RoomIdParams, UploadKind, UploadKinds } from '@parley/contracts';
import { runWithContext } from '@parley/kit';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { createAttachFlow } from '../lib/attach.ts';
import { parseKind, type Uploads } from '../lib/upload.ts';
import { multipartBody, uploadRouteOptions } from '../lib/upload-route.ts';

export interface AttachmentRoutesOptions {
  timeoutMs: number;
  uploads: Uploads;
}

/** `POST /rooms/:id/attachments`: the file is stored as the room's media, then posted as a message carrying it. */
export async function attachmentRoutes(app: FastifyInstance, opts: AttachmentRoutesOptions): Promise<void> {
  const flow = createAttachFlow(app, opts.timeoutMs);
  await app.register(multipart);

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
        await flow.admit(req, reply, caller, roomId);
        const { kind } = req.query as { kind?: string };
        const fromQuery = kind === undefined ? undefined : parseKind(kind, UploadKinds);
        const file = await opts.uploads.receive(req, reply, { kind: fromQuery, kinds: UploadKinds });
        const { message, media } = await flow.attach(req, caller, roomId, file);
        return reply.code(201).header('location', media.url).send({ message, media });
      }),
  );
}
