import type { Multipart, MultipartFile } from '@fastify/multipart';
import {
  acceptsType,
  isParleyError,
  type MediaRules,
  ParleyError,
  PHOTOS_PER_REQUEST_MAX,
  type UploadedPhoto,
} from '@parley/contracts';
import type { BlobStore } from '@parley/kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { drainRequest } from './drain.ts';
import { sanitizeFilename } from './filename.ts';
import { SNIFF_BYTES, sniffType } from './sniff.ts';
import { createUploads } from './upload.ts';

/** A file of the form that is no image: not an error for the request, one refused photo among the others. */
export interface InvalidPhoto {
  file: string;
  code: 'INVALID_IMAGE';
  detail: string;
}

export interface ReceivedPhotos {
  /** In the scratch store, in form order: each must be released once answered. */
  photos: UploadedPhoto[];
  invalid: InvalidPhoto[];
  /** Form position (1-based) of every file name, to give the merged answer the form's order. */
  order: Map<string, number>;
}

export interface FaceUploads {
  /** Every `file` part of the form (at most PHOTOS_PER_REQUEST_MAX) into the scratch store; non-images are set aside. */
  receiveMany(req: FastifyRequest, reply: FastifyReply, field?: string): Promise<ReceivedPhotos>;
  /** The form's one `file` (or `field`) into the scratch store; 415 when its bytes are no image. */
  receiveOne(req: FastifyRequest, reply: FastifyReply, field?: string): Promise<UploadedPhoto>;
  /** Deletes the photos' bytes once no request of this gateway holds them any more. */
  release(photos: readonly UploadedPhoto[]): Promise<void>;
  /** Runs `use` on the stored photos, then releases them whatever the outcome: photos are never kept. */
  using<T>(req: FastifyRequest, photos: UploadedPhoto[], use: () => Promise<T>): Promise<T>;
}

// No fields are expected; one more file than allowed is how busboy tells "too many".
const formLimits = { fields: 4, fieldSize: 256, fieldNameSize: 64, parts: PHOTOS_PER_REQUEST_MAX + 4, headerPairs: 16 };

const badForm = (detail: string): ParleyError => new ParleyError('BAD_REQUEST', detail);

/**
 * Face photos stream into a scratch store of their own and live only as long as the request. The store
 * is content-addressed, so two requests sending the same bytes share one blob: a count per blob held
 * by this gateway keeps one from deleting what the other still needs.
 */
export const createFaceUploads = (deps: { scratch: BlobStore; rules: MediaRules }): FaceUploads => {
  const { scratch, rules } = deps;
  const { maxBytes } = rules.image;
  const single = createUploads({ blobs: scratch, rules });
  const holds = new Map<string, number>();

  const hold = (sha256: string): void => {
    holds.set(sha256, (holds.get(sha256) ?? 0) + 1);
  };

  const release = async (photos: readonly UploadedPhoto[]): Promise<void> => {
    for (const { sha256 } of photos) {
      const left = (holds.get(sha256) ?? 1) - 1;
      if (left > 0) {
        holds.set(sha256, left);
        continue;
      }
      holds.delete(sha256);
      await scratch.delete(sha256);
    }
  };

  const store = async (part: MultipartFile, filename: string): Promise<{ photo: UploadedPhoto; head: Buffer }> => {
    const head: Buffer[] = [];
    try {
      const stored = await scratch.put(keepHead(part.file, head), { maxBytes });
      hold(stored.sha256);
      return { photo: { sha256: stored.sha256, size: stored.size, filename }, head: Buffer.concat(head) };
    } catch (err) {
      if (isParleyError(err) && err.code === 'FILE_TOO_LARGE') {
        throw new ParleyError('FILE_TOO_LARGE', `A photo may be at most ${maxBytes} bytes: ${filename} is larger`, {
          extra: { maxBytes, file: filename },
        });
      }
      throw err;
    }
  };

  const receiveMany = async (req: FastifyRequest, reply: FastifyReply, field = 'file'): Promise<ReceivedPhotos> => {
    if (!req.isMultipart()) throw new ParleyError('UNSUPPORTED_MEDIA_TYPE', `Send multipart/form-data with \`${field}\` parts`);
    const received: ReceivedPhotos = { photos: [], invalid: [], order: new Map() };
    let current: MultipartFile | undefined;
    let position = 0;
    try {
      // Past the limit busboy discards the rest of a file: the +1 byte is how the store tells "over".
      const limits = { ...formLimits, files: PHOTOS_PER_REQUEST_MAX, fileSize: maxBytes + 1 };
      for await (const part of req.parts({ limits }) as AsyncIterable<Multipart>) {
        if (part.type === 'field') continue;
        current = part;
        if (part.fieldname !== field) throw badForm(`Every file part of the form must be named \`${field}\``);
        position += 1;
        const filename = sanitizeFilename(part.filename, `#${position}`);
        if (!received.order.has(filename)) received.order.set(filename, position);
        const { photo, head } = await store(part, filename);
        const type = await sniffType(head.subarray(0, SNIFF_BYTES));
        if (acceptsType(rules, 'image', type)) received.photos.push(photo);
        else {
          await release([photo]);
          received.invalid.push({ file: filename, code: 'INVALID_IMAGE', detail: notAnImage(type) });
        }
      }
      if (position === 0) throw badForm(`The form has no \`${field}\` part`);
      return received;
    } catch (err) {
      current?.file.destroy();
      drainRequest(req, reply);
      await release(received.photos);
      throw asClientError(err);
    }
  };

  const receiveOne = async (req: FastifyRequest, reply: FastifyReply, field = 'file'): Promise<UploadedPhoto> => {
    const file = await single.receive(req, reply, { kind: 'image', fileFields: [field] });
    hold(file.sha256);
    return { sha256: file.sha256, size: file.size, filename: file.filename };
  };

  const using = async <T>(req: FastifyRequest, photos: UploadedPhoto[], use: () => Promise<T>): Promise<T> => {
    try {
      return await use();
    } finally {
      await release(photos).catch((err: unknown) => {
        req.log.warn({ err, photos: photos.map((p) => p.sha256) }, 'faces: scratch photos left behind');
      });
    }
  };

  return { receiveMany, receiveOne, release, using };
};

const notAnImage = (type: string): string =>
  `Its bytes are ${type === 'application/octet-stream' ? 'of no image type' : type}; a photo must be PNG, JPEG, GIF or WebP`;

/** The chunks as they pass, the first SNIFF_BYTES of them also kept in `head` (the type is decided from them). */
async function* keepHead(source: AsyncIterable<Buffer>, head: Buffer[]): AsyncGenerator<Buffer> {
  let kept = 0;
  for await (const chunk of source) {
    if (kept < SNIFF_BYTES) {
      head.push(chunk);
      kept += chunk.length;
    }
    yield chunk;
  }
}

const MALFORMED = /multipart|part header|end of form|boundary|terminated early/i;

/** busboy's and @fastify/multipart's own errors mean a malformed form or one over its limits: the client's fault. */
const asClientError = (err: unknown): unknown => {
  if (isParleyError(err)) return err;
  const e = err as { statusCode?: number; code?: string; message?: string };
  if (e.code === 'FST_FILES_LIMIT') {
    return new ParleyError('PAYLOAD_TOO_LARGE', `At most ${PHOTOS_PER_REQUEST_MAX} photos per request`, {
      extra: { maxFiles: PHOTOS_PER_REQUEST_MAX },
    });
  }
  if (e.code?.startsWith('FST_') && e.statusCode === 413) {
    return new ParleyError('PAYLOAD_TOO_LARGE', `The form has too many parts or too large a field: ${e.message}`);
  }
  if (typeof e.message === 'string' && MALFORMED.test(e.message)) return badForm(`Malformed multipart body: ${e.message}`);
  return err;
};
