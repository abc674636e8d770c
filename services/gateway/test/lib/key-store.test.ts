import { generateKeyPairSync } from 'node:crypto';
import type { Jwks } from '@parley/contracts';
import { describe, expect, it } from 'vitest';
import { createKeyStore } from '../../src/lib/key-store.ts';

const edKey = (kid: string) => {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  return { ...jwk, kid, alg: 'EdDSA', use: 'sig' } as Jwks['keys'][number];
};

const fakeAuth = (docs: Jwks[]) => {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    fetchJwks: async () => {
      const doc = docs[Math.min(calls, docs.length - 1)] as Jwks;
      calls++;
      if (doc.keys.length === 0) throw new Error('auth is down');
      return doc;
    },
  };
};

describe('the JWKS cache', () => {
  it('answers known kids from the cache and refetches an unknown kid at most once a second', async () => {
    let now = 0;
    const auth = fakeAuth([{ keys: [edKey('a')] }, { keys: [edKey('a'), edKey('b')] }]);
    const store = createKeyStore({ fetchJwks: auth.fetchJwks, now: () => now });
    await store.refresh();
    expect(await store.keyFor('a')).toContain('BEGIN PUBLIC KEY');
    expect(auth.calls).toBe(1);

    now = 500;
    expect(await store.keyFor('b')).toBeUndefined();
    expect(auth.calls).toBe(1);

    now = 1_000;
    expect(await store.keyFor('b')).toContain('BEGIN PUBLIC KEY');
    expect(auth.calls).toBe(2);
    for (let i = 0; i < 20; i++) await store.keyFor(`forged-${i}`);
    expect(auth.calls).toBe(2);
  });

  it('shares one fetch among concurrent lookups', async () => {
    const auth = fakeAuth([{ keys: [edKey('a')] }]);
    const store = createKeyStore({ fetchJwks: auth.fetchJwks });
    const keys = await Promise.all(Array.from({ length: 10 }, () => store.keyFor('a')));
    expect(keys.every((k) => k?.includes('BEGIN PUBLIC KEY'))).toBe(true);
    expect(auth.calls).toBe(1);
  });

  it('ignores keys that are not Ed25519 signing keys', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    const store = createKeyStore({
      fetchJwks: async () => ({ keys: [{ ...rsa, kid: 'rsa', alg: 'RS256', use: 'sig' } as Jwks['keys'][number], edKey('ed')] }),
    });
    expect(await store.keyFor('rsa')).toBeUndefined();
    expect(await store.keyFor('ed')).toBeDefined();
  });

  it('says when it cannot tell (the auth service does not answer) rather than calling a kid forged', async () => {
    let now = 0;
    const auth = fakeAuth([{ keys: [] }, { keys: [edKey('a')] }]);
    const store = createKeyStore({ fetchJwks: auth.fetchJwks, now: () => now, onError: () => {} });
    expect(await store.keyFor('a')).toBeUndefined();
    expect(store.unavailable).toBe(true);
    now = 1_000;
    expect(await store.keyFor('a')).toBeDefined();
    expect(store.unavailable).toBe(false);
  });
});
