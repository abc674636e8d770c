import { badCursor } from '../errors.ts';

/** Opaque page cursors: base64url of a small JSON array, checked on the way back in. */
export const encodeCursor = (parts: (string | number)[]): string => Buffer.from(JSON.stringify(parts)).toString('base64url');

export const decodeCursor = <T extends (string | number)[]>(
  cursor: string,
  check: (parts: unknown[]) => parts is T,
  what = 'cursor',
): T => {
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts) && check(parts)) return parts;
  } catch {}
  throw badCursor(what);
};

export const isSafeInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
