import { createHash } from 'node:crypto';
import { badRange } from '../errors.ts';

/**
 * Opaque page cursors: base64url of `[query fingerprint, seq]`. The fingerprint ties a cursor to the
 * filters it was made for, so one handed to another query is refused (BAD_RANGE), not misread.
 */
export const fingerprint = (query: unknown): string =>
  createHash('sha256').update(JSON.stringify(query)).digest('base64url').slice(0, 12);

export const encodeCursor = (query: string, seq: number): string =>
  Buffer.from(JSON.stringify([query, seq])).toString('base64url');

export const decodeCursor = (cursor: string, query: string): number => {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badRange('Invalid cursor');
  }
  if (!Array.isArray(parts) || parts.length !== 2 || !Number.isSafeInteger(parts[1]) || (parts[1] as number) < 0) {
    throw badRange('Invalid cursor');
  }
  if (parts[0] !== query) throw badRange('This cursor belongs to another query');
  return parts[1] as number;
};
