import {
  type Caller,
  ChatEndpoints,
  isParleyError,
  MediaEndpoints,
  type MediaObject,
  type MessageMedia,
  ParleyError,
} from '@parley/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { drainRequest } from './drain.ts';
import type { ReceivedFile } from './upload.ts';

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

/**
 * A file attached to a room, in three steps the canonical attachments route and the dialects share:
 * `admit` (members only, before a byte is read), `register` (the stored bytes become the room's media),
 * `post` (a message carrying it, pushed to the members; the media is deleted again if that fails).
 */
export const createAttachFlow = (app: FastifyInstance, timeoutMs: number) => {
  const { bus } = app.parley;
  const call = { timeoutMs };
  const read = { timeoutMs, retries: 1 };

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
  const post = async (req: FastifyRequest, caller: Caller, roomId: string, media: MediaObject, text = '') => {
    try {
      return await bus.request(ChatEndpoints.postMessage, { caller, roomId, text, media: messageMedia(media) }, call);
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

  /**
   * `register` then `post`: the file (already received after `admit`) as the room's media and a message carrying
   * it, its text given or made from the media (a dialect's download URL names the media's id).
   */
  const attach = async (
    req: FastifyRequest,
    caller: Caller,
    roomId: string,
    file: ReceivedFile,
    text: string | ((media: MediaObject) => string) = '',
  ) => {
    const media = await register(caller, roomId, file);
    const message = await post(req, caller, roomId, media, typeof text === 'function' ? text(media) : text);
    return { message, media };
  };

  return { admit, attach };
};
export type AttachFlow = ReturnType<typeof createAttachFlow>;
