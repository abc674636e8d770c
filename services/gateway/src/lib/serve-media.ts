import { type MediaReadGrant, ParleyError } from '@parley/contracts';
import type { BlobStore } from '@parley/kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { contentDisposition } from './filename.ts';
import { noneMatch, parseRange, rangeStillValid } from './range.ts';

/** Browsers may reuse bytes this long without asking; a deleted upload then lingers in that cache at most so long. */
export const MEDIA_MAX_AGE_SECONDS = 300;

const header = (req: FastifyRequest, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

const strongTag = (etag: string): string => (etag.startsWith('"') || etag.startsWith('W/"') ? etag : `"${etag}"`);

/**
 * Answers a GET or HEAD for bytes the media service granted: conditional (`If-None-Match` → 304),
 * ranged (one range → 206, none satisfiable → 416), streamed from the blob store, and with headers
 * that keep a browser from running what it receives: the granted type with `nosniff`, a sandboxing
 * CSP, and `attachment` for everything but the safe image and audio types.
 */
export const sendMedia = async (
  req: FastifyRequest,
  reply: FastifyReply,
  grant: MediaReadGrant,
  blobs: BlobStore,
  maxAgeSeconds = MEDIA_MAX_AGE_SECONDS,
): Promise<FastifyReply> => {
  const etag = strongTag(grant.etag);
  const { size } = grant;
  reply
    .header('etag', etag)
    .header('accept-ranges', 'bytes')
    .header('cache-control', `private, max-age=${Math.max(0, Math.floor(maxAgeSeconds))}`)
    .header('vary', 'Authorization')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', 'sandbox')
    .header('referrer-policy', 'no-referrer');

  if (noneMatch(header(req, 'if-none-match'), etag)) return reply.code(304).send();

  const range = rangeStillValid(header(req, 'if-range'), etag) ? parseRange(header(req, 'range'), size) : undefined;
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${size}`);
    throw new ParleyError('RANGE_NOT_SATISFIABLE', `The range is outside the ${size} bytes of this media`, { status: 416 });
  }

  reply
    .header('content-type', grant.contentType)
    .header('content-disposition', contentDisposition(grant.disposition, grant.filename))
    .header('content-length', String(range ? range.end - range.start + 1 : size));
  if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
  if (req.method === 'HEAD') return reply.send();

  const stream = await blobs.get(grant.sha256, range);
  if (!stream) {
    // Granted but gone: a delete raced this read. To the client it is simply not there.
    reply.removeHeader('content-type').removeHeader('content-disposition').removeHeader('content-length');
    reply.removeHeader('content-range').code(200);
    throw new ParleyError('MEDIA_NOT_FOUND', 'No such media');
  }
  return reply.send(stream);
};
