import { AuthEndpoints, KeysChangedSubject } from '@parley/contracts';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, registerVerified, type TestAccount } from './helpers/accounts.ts';
import { type AuthWorld, startAuth } from './helpers/harness.ts';

describe('access-token signing keys', () => {
  let world: AuthWorld;
  let account: TestAccount;
  const changes: unknown[] = [];
  beforeAll(async () => {
    world = await startAuth();
    world.bus.subscribe(KeysChangedSubject, (data) => {
      changes.push(data);
    });
    await world.bus.ping();
    account = await registerVerified(world);
  });
  afterAll(() => world?.close());

  const kidOf = (token: string) => decodeProtectedHeader(token).kid;

  it('publishes Ed25519 public keys only', async () => {
    const { keys } = await world.call(AuthEndpoints.jwks, {});
    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: expect.any(String),
      kid: expect.any(String),
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(keys[0]).not.toHaveProperty('d');
  });

  it('rotates on request: new tokens use the new key, the old key stays until its tokens expire', async () => {
    const before = await login(world, account);
    const oldKid = kidOf(before.accessToken);

    const { kid } = await world.call(AuthEndpoints.rotateKeys, {});
    expect(kid).not.toBe(oldKid);
    await expect.poll(() => changes).toContainEqual({ kid });

    const after = await login(world, account);
    expect(kidOf(after.accessToken)).toBe(kid);
    const jwks = await world.call(AuthEndpoints.jwks, {});
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([oldKid, kid].sort());
    const keySet = createLocalJWKSet(jwks);
    for (const token of [before.accessToken, after.accessToken]) {
      await jwtVerify(token, keySet, { issuer: 'parley', audience: 'parley-api', currentDate: world.clock() });
    }

    world.clock.advance(901);
    const later = await world.call(AuthEndpoints.jwks, {});
    expect(later.keys.map((k) => k.kid)).toEqual([kid]);
  });

  it('rotates by itself once the newest key is older than SIGNING_KEY_ROTATION_HOURS', async () => {
    const current = kidOf((await login(world, account)).accessToken);
    world.clock.advance(720 * 3600);
    const next = kidOf((await login(world, account)).accessToken);
    expect(next).not.toBe(current);
    const { keys } = await world.call(AuthEndpoints.jwks, {});
    expect(keys.map((k) => k.kid).sort()).toEqual([current, next].sort());
  });

  it('keeps one signing key when several copies start at once', async () => {
    // Due for rotation, so each copy would create a key if it did not wait for the others.
    world.clock.advance(720 * 3600);
    await Promise.all([world.startCopy(), world.startCopy(), world.startCopy()]);
    const { keys } = await world.call(AuthEndpoints.jwks, {});
    expect(keys).toHaveLength(2);
  });
});
