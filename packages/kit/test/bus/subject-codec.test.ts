import { ParleyError } from '@parley/contracts';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import {
  deadLetterStreamName,
  errorFromReply,
  eventStreamName,
  isValidSubject,
  subjectMatches,
  toWireError,
  validate,
  validatorFor,
} from '../../src/bus/index.ts';

describe('subjects', () => {
  it.each([
    ['a.b.c', 'a.b.c', true],
    ['a.*.c', 'a.b.c', true],
    ['a.*', 'a.b.c', false],
    ['a.>', 'a.b.c', true],
    ['a.>', 'a', false],
    ['>', 'a', true],
    ['a.b', 'a.b.c', false],
    ['a.b.c', 'a.b', false],
    ['*.b.>', 'x.b.y.z', true],
  ])('%s matches %s: %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });

  it('rejects malformed subjects', () => {
    expect(isValidSubject('a.b')).toBe(true);
    expect(isValidSubject('a.>.b')).toBe(false);
    expect(isValidSubject('a..b')).toBe(false);
    expect(isValidSubject('a b')).toBe(false);
    expect(isValidSubject('a.*', { wildcards: false })).toBe(false);
  });

  it('names streams from the namespace', () => {
    expect(eventStreamName('parley')).toBe('PARLEY_EVENTS');
    expect(deadLetterStreamName('my-app')).toBe('MY_APP_DLQ');
  });
});

describe('codec', () => {
  it('compiles each schema once', () => {
    const schema = Type.Object({ a: Type.String() });
    expect(validatorFor(schema)).toBe(validatorFor(schema));
    expect(validate(schema, { a: 'x' })).toBeUndefined();
    expect(validate(schema, { a: 1 })).toEqual([{ path: '/a', message: expect.any(String) }]);
  });

  it('maps errors to and from the wire', () => {
    const coded = new ParleyError('NAME_TAKEN', 'taken', { status: 409, extra: { x: 1 } });
    const body = JSON.stringify({ error: toWireError(coded) });
    expect(errorFromReply(body, {})).toMatchObject({ code: 'NAME_TAKEN', status: 409, message: 'taken', extra: { x: 1 } });
    expect(toWireError(new Error('secret'))).toEqual({ code: 'INTERNAL', status: 500, detail: 'Internal error' });
    expect(errorFromReply('', { status: 404, detail: 'nope' })).toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
      message: 'nope',
    });
  });
});
