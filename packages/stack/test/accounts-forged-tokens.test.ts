import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { Jwks } from '@parley/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, failure, type MailStack, newUser, registerVerified, startMailStack } from './support/accounts.ts';
import { type ExtraGateway, startGateway } from './support/gateway.ts';

type Json = Record<string, unknown>;

const part = (value: Json | Buffer): string =>
  (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');

const decode = (token: string): { header: Json; payload: Json; signature: string } => {
  const [h, p, s] = token.split('.') as [string, string, string];
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Json,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()) as Json,
    signature: s,
  };
};

const signEdDsa = (header: Json, payload: Json, key: KeyObject): string => {
  const input = `${part(header)}.${part(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
};

const signHs256 = (header: Json, payload: Json, secret: string | Buffer): string => {
  const input = `${part(header)}.${part(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};

describe('access tokens the gateway did not get from the auth service', () => {
  let ms: MailStack;
  let alice: Account;
  let bob: Account;
  let jwks: Jwks;
  beforeAll(async () => {
    ms = await startMailStack();
    alice = await registerVerified(ms, newUser('alice'));
    bob = await registerVerified(ms, newUser('bob'));
    jwks = await ms.client.auth.jwks();
  });
  afterAll(async () => ms?.close());

  const refused = async (token: string, why: string) => {
    const err = await failure(ms.client.withToken(token).users.me(), 401, 'TOKEN_INVALID').catch((e: Error) => {
      throw new Error(`${why}: ${e.message}`);
    });
    expect(err.headers.get('content-type')).toContain('application/problem+json');
  };

  it('publishes the signer’s public keys, Ed25519 only and nothing private, at both addresses', async () => {
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
      expect(key).not.toHaveProperty('d');
    }
    for (const path of ['/.well-known/jwks.json', '/api/v1/.well-known/jwks.json']) {
      const res = await fetch(`${ms.stack.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
      expect(Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1])).toBeLessThanOrEqual(300);
      expect(((await res.json()) as Jwks).keys.map((k) => k.kid).sort()).toEqual(jwks.keys.map((k) => k.kid).sort());
    }
    const { header } = decode(alice.tokens.accessToken);
    expect(header.alg).toBe('EdDSA');
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
  });

  it('accepts the real token (the control)', async () => {
    expect((await alice.client.users.me()).id).toBe(alice.tokens.user.id);
  });

  it('refuses an unsigned token (alg: none)', async () => {
    const { header, payload } = decode(alice.tokens.accessToken);
    const input = `${part({ ...header, alg: 'none' })}.${part(payload)}`;
    await refused(`${input}.`, 'alg none, empty signature');
    await refused(input, 'alg none, no signature part');
    await refused(
      `${part({ ...header, alg: 'none' })}.${part(payload)}.${decode(alice.tokens.accessToken).signature}`,
      'alg none, real signature',
    );
  });

  it('refuses a changed payload under the original signature', async () => {
    const { header, payload, signature } = decode(alice.tokens.accessToken);
    await refused(`${part(header)}.${part({ ...payload, sub: bob.tokens.user.id })}.${signature}`, 'sub swapped');
    await refused(`${part(header)}.${part({ ...payload, sid: bob.tokens.sessionId })}.${signature}`, 'sid swapped');
    await refused(`${part(header)}.${part({ ...payload, exp: (payload.exp as number) + 86_400 })}.${signature}`, 'exp extended');
  });

  it('refuses a token signed by another Ed25519 key under the real kid, or an unknown kid', async () => {
    const { header, payload } = decode(alice.tokens.accessToken);
    const { privateKey } = generateKeyPairSync('ed25519');
    await refused(signEdDsa(header, { ...payload, sub: bob.tokens.user.id }, privateKey), 'foreign key, real kid');
    await refused(signEdDsa({ ...header, kid: 'forged-kid' }, payload, privateKey), 'foreign key, unknown kid');
    await refused(signEdDsa({ alg: 'EdDSA', typ: 'JWT' }, payload, privateKey), 'no kid');
    // The real one still works after all those unknown kids (they refetch at most once a second).
    expect((await alice.client.users.me()).id).toBe(alice.tokens.user.id);
  });

  it('refuses HS256 signed with the public key as the HMAC secret (algorithm confusion)', async () => {
    const { header, payload } = decode(alice.tokens.accessToken);
    const jwk = jwks.keys.find((k) => k.kid === header.kid) as Jwks['keys'][number];
    const publicKey = createPublicKey({ key: jwk as never, format: 'jwk' });
    const secrets: (string | Buffer)[] = [
      publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      publicKey.export({ type: 'spki', format: 'der' }),
      Buffer.from(jwk.x as string, 'base64url'),
      JSON.stringify(jwk),
    ];
    for (const [i, secret] of secrets.entries()) {
      await refused(signHs256({ ...header, alg: 'HS256' }, payload, secret), `HS256 with public key form ${i}`);
    }
  });

  it('takes the token from the Authorization header only (no ?token= outside the WebSocket)', async () => {
    const res = await ms.client.raw('GET', `/api/v1/users/me?token=${encodeURIComponent(alice.tokens.accessToken)}`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('refuses what is not a token at all', async () => {
    for (const junk of ['abc', 'a.b.c', `${part({ alg: 'EdDSA' })}.not-json.sig`, '.'.repeat(2)]) await refused(junk, junk);
    const res = await ms.client.raw('GET', '/api/v1/users/me', { headers: { authorization: 'Bearer' } });
    expect(res.status).toBe(401);
  });

  describe('a gateway expecting another issuer or audience', () => {
    const gateways: ExtraGateway[] = [];
    afterAll(async () => {
      await Promise.all(gateways.map((g) => g.close()));
    });

    it('refuses tokens minted for someone else', async () => {
      for (const env of [{ JWT_AUDIENCE: 'another-api' }, { JWT_ISSUER: 'another-issuer' }]) {
        const other = await startGateway(ms.stack, env);
        gateways.push(other);
        await failure(other.client.withToken(alice.tokens.accessToken).users.me(), 401, 'TOKEN_INVALID');
      }
      // The same token is good where issuer and audience match.
      const same = await startGateway(ms.stack);
      gateways.push(same);
      expect((await same.client.withToken(alice.tokens.accessToken).users.me()).id).toBe(alice.tokens.user.id);
    });
  });
});
