import { acceptsType, type MediaKind, type MediaRules, ParleyError } from '@parley/contracts';
import { fileTypeFromBuffer } from 'file-type';

/** file-type reads at most this much of a file to recognise it. */
export const SNIFF_BYTES = 4100;

export const UNKNOWN_TYPE = 'application/octet-stream';

/**
 * The content type of `head` (the first bytes of a file), decided from the bytes alone: the file's
 * name and the type the client declared are never consulted. Parameters are dropped
 * (`audio/ogg; codecs=opus` is `audio/ogg`), so one allow-list entry covers a container.
 * Text formats (SVG, HTML, scripts) have no signature and come out as `application/octet-stream`.
 */
export const sniffType = async (head: Uint8Array): Promise<string> => {
  const found = head.length === 0 ? undefined : await fileTypeFromBuffer(head);
  return found ? (found.mime.split(';')[0]?.trim() ?? UNKNOWN_TYPE) : UNKNOWN_TYPE;
};

/** The sniffed type when `kind` accepts it, else 415 UNSUPPORTED_FILE_TYPE naming what the bytes are. */
export const typeFor = async (rules: MediaRules, kind: MediaKind, head: Uint8Array): Promise<string> => {
  const contentType = await sniffType(head);
  if (acceptsType(rules, kind, contentType)) return contentType;
  const { types } = rules[kind];
  const allowed = types === 'any' ? 'any type' : types.join(', ');
  const seen = contentType === UNKNOWN_TYPE ? 'of no type this kind accepts' : contentType;
  throw new ParleyError('UNSUPPORTED_FILE_TYPE', `The bytes of this file are ${seen}; a ${kind} must be ${allowed}`, {
    extra: { detected: contentType === UNKNOWN_TYPE ? null : contentType, allowed: types },
  });
};
