import { describe, expect, it } from 'vitest';
import { createOriginCheck } from '../../src/ws/origin.ts';

describe('the WebSocket origin allow-list', () => {
  it('allows only PUBLIC_URL’s origin when none is configured', () => {
    const allowed = createOriginCheck(undefined, 'https://parley.example.test/app/');
    expect(allowed('https://parley.example.test')).toBe(true);
    expect(allowed('https://evil.example.test')).toBe(false);
    expect(allowed('http://parley.example.test')).toBe(false);
  });

  it('allows the listed origins, written loosely, and refuses the rest', () => {
    const allowed = createOriginCheck(' https://A.example.test/ ,http://localhost:5173', 'https://parley.example.test');
    expect(allowed('https://a.example.test')).toBe(true);
    expect(allowed('http://localhost:5173')).toBe(true);
    expect(allowed('http://localhost:5174')).toBe(false);
    expect(allowed('https://parley.example.test')).toBe(false);
    expect(allowed('null')).toBe(false);
  });

  it('allows any origin with *, and a request without Origin (not a browser) always', () => {
    expect(createOriginCheck('*', 'https://parley.example.test')('https://anything.example.test')).toBe(true);
    expect(createOriginCheck('https://a.example.test', 'https://parley.example.test')(undefined)).toBe(true);
  });
});
