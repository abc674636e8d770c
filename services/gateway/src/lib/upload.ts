import type { Multipart, MultipartFile } from '@fastify/multipart';
import { isParleyError, type MediaKind, MediaKinds, type MediaRules, ParleyError } from '@parley/contracts';
import type { BlobStore } from '@parley/kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { drainRequest } from './drain.ts';
import { sanitizeFilename } from './filename.ts';
import { SNIFF_BYTES, sniffType, typeFor } from './sniff.ts';

export interface ReceivedFile {
  kind: MediaKind;
  sha256: string;
  size: number;
  /** Sniffed from the bytes. */
  contentType: string;
  /** The client's name for it, cleaned for display. */
  filename: string;
}

export interface ReceiveOptions {
  /** The kind, when the route fixes it (the avatar) or the query named it; else the form's `kind` field must. */
  kind?: MediaKind | undefined;
  /** Kinds the form's `kind` field may name. */
  kinds?: readonly MediaKind[];
  /** Names the file part may have (default `file`; the seed dialects name theirs `avatar`, `voice`, …). */
  fileFields?: readonly string[];
  /** Stricter than the kind's rules, for a dialect that promised less (`xphoto`: png/jpg up to 1 MB). */
  limit?: { maxBytes?: number; types?: readonly string[] };
  /** Text fields the form may carry besides `kind`, returned as sent (each ≤ 256 bytes). */
  fields?: readonly string[];
  /** How many files one form may hold (default 1); they are stored in form order. */
  maxFiles?: number;
  /**
   * The kind decided from each file's sniffed type and first bytes, when the form does not name one (a dialect
   * storing whatever a chat may carry); throw a ParleyError to refuse the file before a byte is stored.
   */
  kindFor?: (contentType: string, head: Buffer) => MediaKind;
  /** Runs with the fields read so far, before each file's bytes are read: refuse there what can be refused early. */
  beforeFile?: (fields: Record<string, string>) => Promise<void>;
  /** Keep reading fields after the last file (a form that puts them there); by default the form ends at it. */
  fieldsAfterFile?: boolean;
  /** Given each stored file of a form that then fails (a bad field after it), to drop what no one will register. */
  discard?: (file: ReceivedFile) => Promise<void>;
}

export interface ReceivedForm {
  files: ReceivedFile[];
  /** The text fields named in `fields` that the form carried (a repeated one: the last). */
  fields: Record<string, string>;
}

export interface Uploads {
  /** Streams the form's `file` part into the blob store, checked by its bytes against its kind's rules. */
  receive(req: FastifyRequest, reply: FastifyReply, options: ReceiveOptions): Promise<ReceivedFile>;
  /** The same for a form of up to `maxFiles` files and named text fields; at least one file. */
  receiveForm(req: FastifyRequest, reply: FastifyReply, options: ReceiveOptions): Promise<ReceivedForm>;
}

// Form fields are tiny (`kind`); anything bigger or more numerous is not a form of ours.
const FORM_LIMITS = { fields: 4, fieldSize: 256, fieldNameSize: 64, parts: 8, files: 1, headerPairs: 16 };

const badForm = (detail: string): ParleyError => new ParleyError('BAD_REQUEST', detail);

/**
 * The upload pipeline. Nothing holds a whole file: the first chunks (≥ 4100 bytes) decide the type,
 * then they and the rest stream into the store, which hashes as it writes and stops past the limit.
 * Any refusal drains what the client is still sending, within bounds (see drain.ts).
 */
export const createUploads = (deps: { blobs: BlobStore; rules: MediaRules }): Uploads => {
  const { blobs, rules } = deps;
  const largest = Math.max(...MediaKinds.map((k) => rules[k].maxBytes));

  /** The kind's rules, narrowed by a route's own limit. */
  const rulesFor = (kind: MediaKind, limit: ReceiveOptions['limit']): MediaRules => {
    if (!limit) return rules;
    const base = rules[kind];
    return {
      ...rules,
      [kind]: {
        ...base,
        maxBytes: Math.min(base.maxBytes, limit.maxBytes ?? base.maxBytes),
        ...(limit.types ? { types: limit.types } : {}),
      },
    };
  };

  const storeFile = async (
    part: MultipartFile,
    named: MediaKind | undefined,
    options: Pick<ReceiveOptions, 'limit' | 'kindFor'>,
  ): Promise<ReceivedFile> => {
    const chunks = part.file[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const head = await readHead(chunks);
    const kind = named ?? options.kindFor?.(await sniffType(head), head);
    if (!kind) throw badForm('Name the `kind` (a form field before the file, or `?kind=`)');
    const effective = rulesFor(kind, options.limit);
    const { maxBytes } = effective[kind];
    const contentType = await typeFor(effective, kind, head);
    try {
      const stored = await blobs.put(prepend(head, chunks), { maxBytes });
      return { kind, sha256: stored.sha256, size: stored.size, contentType, filename: sanitizeFilename(part.filename) };
    } catch (err) {
      if (isParleyError(err) && err.code === 'FILE_TOO_LARGE') {
        throw new ParleyError('FILE_TOO_LARGE', `A ${kind} may be at most ${maxBytes} bytes`, { extra: { maxBytes } });
      }
      throw err;
    }
  };

  const receiveForm = async (req: FastifyRequest, reply: FastifyReply, options: ReceiveOptions): Promise<ReceivedForm> => {
    const fileFields = options.fileFields ?? ['file'];
    const named = fileFields.map((f) => `\`${f}\``).join(' or ');
    if (!req.isMultipart()) throw new ParleyError('UNSUPPORTED_MEDIA_TYPE', `Send multipart/form-data with a ${named} part`);
    const maxFiles = options.maxFiles ?? 1;
    const wanted = new Set(options.fields ?? []);
    let kind = options.kind;
    let current: MultipartFile | undefined;
    const files: ReceivedFile[] = [];
    const fields: Record<string, string> = {};
    try {
      // Past the limit busboy discards the rest of the file: the +1 byte is how the store tells "over".
      const limits = {
        ...FORM_LIMITS,
        fields: FORM_LIMITS.fields + wanted.size,
        files: maxFiles,
        parts: FORM_LIMITS.parts + wanted.size + maxFiles,
        fileSize: (kind ? rulesFor(kind, options.limit)[kind].maxBytes : largest) + 1,
      };
      for await (const part of req.parts({ limits }) as AsyncIterable<Multipart>) {
        if (part.type === 'field') {
          if (part.fieldname === 'kind' && !options.kind) kind = parseKind(part.value, options.kinds ?? MediaKinds);
          else if (wanted.has(part.fieldname) && typeof part.value === 'string') fields[part.fieldname] = part.value;
          continue;
        }
        current = part;
        if (!fileFields.includes(part.fieldname)) throw badForm(`The form’s file part must be named ${named}`);
        if (!kind && !options.kindFor) throw badForm('Name the `kind` (a form field before the file, or `?kind=`)');
        await options.beforeFile?.(fields);
        files.push(await storeFile(part, kind, options));
        current = undefined;
        if (files.length === maxFiles && maxFiles === 1 && !options.fieldsAfterFile) break;
      }
      if (files.length === 0) throw badForm(`The form has no ${named} part`);
      // Whatever follows the file (a closing boundary, or junk) is read within bounds.
      drainRequest(req, reply);
      return { files, fields };
    } catch (err) {
      current?.file.destroy();
      drainRequest(req, reply);
      if (options.discard) for (const file of files) await options.discard(file);
      throw asClientError(err, maxFiles);
    }
  };

  const receive = async (req: FastifyRequest, reply: FastifyReply, options: ReceiveOptions): Promise<ReceivedFile> =>
    (await receiveForm(req, reply, { ...options, maxFiles: 1 })).files[0] as ReceivedFile;

  return { receive, receiveForm };
};

/** Chunks until at least SNIFF_BYTES are in hand (or the file ended), as one buffer. */
const readHead = async (chunks: AsyncIterator<Buffer>): Promise<Buffer> => {
  const taken: Buffer[] = [];
  let length = 0;
  while (length < SNIFF_BYTES) {
    const next = await chunks.next();
    if (next.done) break;
    taken.push(next.value);
    length += next.value.length;
  }
  return Buffer.concat(taken, length);
};

/** The store writes and hashes per chunk: socket-sized pieces (~64 KiB) are joined up to this first. */
const WRITE_CHUNK = 512 * 1024;

/** `head`, then the rest of the file, in pieces of about WRITE_CHUNK bytes (one piece held at a time). */
async function* prepend(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = head.length > 0 ? [head] : [];
  let size = head.length;
  for (;;) {
    const next = await rest.next();
    if (!next.done) {
      pending.push(next.value);
      size += next.value.length;
    }
    if (size >= WRITE_CHUNK || (next.done && size > 0)) {
      yield pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, size);
      pending = [];
      size = 0;
    }
    if (next.done) return;
  }
}

export const parseKind = (value: unknown, allowed: readonly MediaKind[]): MediaKind => {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as MediaKind;
  throw new ParleyError('VALIDATION_FAILED', `kind must be one of ${allowed.join(', ')}`);
};

const MALFORMED = /multipart|part header|end of form|boundary|terminated early/i;

/** busboy's and @fastify/multipart's own errors mean a malformed form or one over its limits: the client's fault. */
const asClientError = (err: unknown, maxFiles: number): unknown => {
  if (isParleyError(err)) return err;
  const e = err as { statusCode?: number; code?: string; message?: string };
  if (e.code === 'FST_FILES_LIMIT') return new ParleyError('PAYLOAD_TOO_LARGE', `The form may hold at most ${maxFiles} files`);
  if (e.code?.startsWith('FST_') && e.statusCode === 413) {
    return new ParleyError('PAYLOAD_TOO_LARGE', `The form has too many parts or too large a field: ${e.message}`);
  }
  if (typeof e.message === 'string' && MALFORMED.test(e.message)) return badForm(`Malformed multipart body: ${e.message}`);
  return err;
};
