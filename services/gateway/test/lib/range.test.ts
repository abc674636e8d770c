import { describe, expect, it } from 'vitest';
import { noneMatch, parseRange, rangeStillValid } from '../../src/lib/range.ts';

describe('parseRange', () => {
  it('reads the three forms of one byte range, clamping an end past the last byte', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-1000', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=50-5000', 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange(' Bytes = 1 - 2 ', 100)).toEqual({ start: 1, end: 2 });
  });

  it('calls a start past the end, or an empty suffix, unsatisfiable', () => {
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=100-200', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
    expect(parseRange('bytes=-5', 0)).toBe('unsatisfiable');
  });

  it('ignores what it does not serve: no header, other units, nonsense, reversed or several ranges', () => {
    for (const header of [undefined, '', 'items=0-1', 'bytes=', 'bytes=-', 'bytes=a-b', 'bytes=9-1', 'bytes=0-1,3-4']) {
      expect(parseRange(header, 100), String(header)).toBeUndefined();
    }
  });
});

describe('conditional requests', () => {
  const etag = '"abc"';
  it('matches If-None-Match weakly, in a list, or *', () => {
    for (const header of ['"abc"', 'W/"abc"', '"x", "abc"', '*']) expect(noneMatch(header, etag), header).toBe(true);
    for (const header of [undefined, '"abd"', 'abc']) expect(noneMatch(header, etag), String(header)).toBe(false);
  });
  it('honours a Range only while If-Range names the same strong tag', () => {
    expect(rangeStillValid(undefined, etag)).toBe(true);
    expect(rangeStillValid('"abc"', etag)).toBe(true);
    expect(rangeStillValid('W/"abc"', etag)).toBe(false);
    expect(rangeStillValid('Wed, 21 Oct 2015 07:28:00 GMT', etag)).toBe(false);
  });
});
