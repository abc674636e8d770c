import type { ByteRange } from '@parley/kit';

/**
 * One `Range: bytes=…` (RFC 9110 §14.1.2) against a representation of `size` bytes:
 * the inclusive range to send; `unsatisfiable` (416); or undefined, meaning answer the whole
 * thing with 200 (no header, another unit, a syntax error, or several ranges, which we don't serve).
 */
export const parseRange = (header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined => {
  if (!header) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
};

/** The opaque tags of an `If-None-Match` (weak comparison, so `W/` is dropped); `*` matches anything. */
export const noneMatch = (header: string | undefined, etag: string): boolean => {
  if (!header) return false;
  const ours = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === ours;
  });
};

/** `If-Range` with an entity tag: the range applies only while the representation is the same (strong comparison). */
export const rangeStillValid = (ifRange: string | undefined, etag: string): boolean =>
  ifRange === undefined || (ifRange.trim() === etag && !etag.startsWith('W/'));
