import { randomUUID } from 'node:crypto';
import { type Jwks, KeysChangedSubject } from '@parley/contracts';
import type { Bus, Db, Logger } from '@parley/kit';
import { sql } from 'drizzle-orm';
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import type { AuthConfig } from '../config.ts';
import type { SigningKey } from '../db/schema/signing-keys.ts';
import { createSigningKeysRepository } from '../repositories/signing-keys.ts';
import { addSeconds, type Clock, epochSeconds } from './deps.ts';

const ALG = 'EdDSA';
// Copies re-read the signing key at least this often, so a rotation by another copy is picked up
// even if its KeysChanged message was missed.
const RELOAD_MS = 60_000;
const LOCK = 'parley:auth:signing-keys';

export interface AccessClaims {
  sub: string;
  sid: string;
  role: 'user' | 'admin';
}

export interface SigningKeys {
  /** Makes sure a usable key exists (creating or rotating it when due); call at start. */
  ensure(): Promise<void>;
  /** A new signing key now; the previous ones stay published until their last token expires. */
  rotate(): Promise<string>;
  jwks(): Promise<Jwks>;
  sign(claims: AccessClaims): Promise<{ token: string; expiresIn: number }>;
  /** Forget the cached key (another copy rotated). */
  invalidate(): void;
}

interface Loaded {
  row: SigningKey;
  key: CryptoKey | Uint8Array;
  loadedAt: number;
}

export const createSigningKeys = (deps: { db: Db; bus: Bus; config: AuthConfig; now: Clock; log: Logger }): SigningKeys => {
  const { db, bus, config, now, log } = deps;
  const repo = createSigningKeysRepository(db);
  const rotationMs = config.SIGNING_KEY_ROTATION_HOURS * 3600 * 1000;
  let cached: Loaded | undefined;

  const isDue = (row: SigningKey | undefined): boolean => !row || now().getTime() - row.createdAt.getTime() >= rotationMs;

  const newKey = async (): Promise<SigningKey> => {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
    const kid = randomUUID();
    const meta = { kid, alg: ALG, use: 'sig' };
    return {
      kid,
      publicJwk: { ...(await exportJWK(publicKey)), ...meta },
      privateJwk: { ...(await exportJWK(privateKey)), ...meta },
      createdAt: now(),
      retireAt: null,
    };
  };

  /**
   * Under a transaction-scoped advisory lock, so copies starting or rotating together create one
   * key, not one each: the second copy finds the first one's key and keeps it.
   */
  const replaceIfDue = async (force: boolean): Promise<SigningKey> => {
    const fresh = await newKey();
    const { row, created } = await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${LOCK}))`);
      const keys = createSigningKeysRepository(tx);
      const current = await keys.current();
      if (current && !force && !isDue(current)) return { row: current, created: false };
      await keys.insert(fresh);
      // Tokens signed by the old key live at most one access TTL from now.
      await keys.retireAllBut(fresh.kid, addSeconds(now(), config.ACCESS_TOKEN_TTL_SECONDS));
      return { row: fresh, created: true };
    });
    if (created) {
      log.info({ kid: row.kid }, 'new access-token signing key');
      bus.publish(KeysChangedSubject, { kid: row.kid });
    }
    return row;
  };

  const load = async (): Promise<Loaded> => {
    let row = await repo.current();
    if (isDue(row)) row = await replaceIfDue(false);
    const key = cached?.row.kid === row!.kid ? cached.key : await importJWK(row!.privateJwk as JWK, ALG);
    cached = { row: row!, key, loadedAt: Date.now() };
    return cached;
  };

  const signingKey = async (): Promise<Loaded> => {
    if (cached && Date.now() - cached.loadedAt < RELOAD_MS && !isDue(cached.row)) return cached;
    return load();
  };

  return {
    async ensure() {
      await load();
    },
    async rotate() {
      const row = await replaceIfDue(true);
      cached = undefined;
      return row.kid;
    },
    async jwks() {
      const keys = await repo.published(now());
      return {
        keys: keys.map(({ publicJwk, kid }) => ({
          kty: publicJwk.kty!,
          crv: publicJwk.crv!,
          x: publicJwk.x!,
          kid,
          alg: ALG,
          use: 'sig',
        })),
      };
    },
    async sign(claims) {
      const { row, key } = await signingKey();
      const iat = epochSeconds(now());
      const token = await new SignJWT({ sid: claims.sid, role: claims.role })
        .setProtectedHeader({ alg: ALG, kid: row.kid, typ: 'JWT' })
        .setSubject(claims.sub)
        .setIssuer(config.JWT_ISSUER)
        .setAudience(config.JWT_AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(iat + config.ACCESS_TOKEN_TTL_SECONDS)
        .setJti(randomUUID())
        .sign(key);
      return { token, expiresIn: config.ACCESS_TOKEN_TTL_SECONDS };
    },
    invalidate() {
      cached = undefined;
    },
  };
};
