import { createPublicKey } from 'node:crypto';
import type { Jwks } from '@parley/contracts';

export interface KeyStoreOptions {
  /** Asks the auth service for its JWKS. */
  fetchJwks: () => Promise<Jwks>;
  /** An unknown kid refetches at most this often, so forged kids cannot flood the auth service. */
  minRefetchMs?: number;
  onError?: (err: unknown) => void;
  now?: () => number;
}

export interface KeyStore {
  /** The PEM public key for a kid: from the cache, else after one (throttled) refetch; undefined when nobody knows it. */
  keyFor(kid: string): Promise<string | undefined>;
  /** The JWKS as last fetched, refetched when older than `maxAgeMs`. */
  document(maxAgeMs: number): Promise<Jwks>;
  /** Refetch now (the keys changed). Never throws. */
  refresh(): Promise<void>;
  /** True when the last fetch failed: an unknown kid then means "cannot tell", not "forged". */
  readonly unavailable: boolean;
}

/** Only Ed25519 signing keys: the gateway accepts EdDSA tokens and nothing else. */
const toPem = (jwk: Jwks['keys'][number]): string | undefined => {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || (jwk.use && jwk.use !== 'sig')) return undefined;
  return createPublicKey({ key: jwk as never, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
};

/** The auth service's public keys by kid, cached; fetched again on an unknown kid (throttled) or when told the keys changed. */
export const createKeyStore = (opts: KeyStoreOptions): KeyStore => {
  const minRefetchMs = opts.minRefetchMs ?? 1_000;
  const now = opts.now ?? Date.now;
  let keys = new Map<string, string>();
  let jwks: Jwks | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let lastFailed = false;
  let inFlight: Promise<void> | undefined;

  const fetchNow = (): Promise<void> => {
    inFlight ??= (async () => {
      attemptedAt = now();
      try {
        const doc = await opts.fetchJwks();
        const next = new Map<string, string>();
        for (const jwk of doc.keys) {
          try {
            const pem = toPem(jwk);
            if (pem) next.set(jwk.kid, pem);
          } catch (err) {
            opts.onError?.(err);
          }
        }
        keys = next;
        jwks = doc;
        fetchedAt = now();
        lastFailed = false;
      } catch (err) {
        lastFailed = true;
        throw err;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  const refresh = async (): Promise<void> => {
    await fetchNow().catch((err) => opts.onError?.(err));
  };

  return {
    async keyFor(kid) {
      const known = keys.get(kid);
      if (known) return known;
      if (inFlight) await inFlight.catch(() => {});
      else if (now() - attemptedAt >= minRefetchMs) await refresh();
      return keys.get(kid);
    },
    async document(maxAgeMs) {
      if (!jwks || now() - fetchedAt > maxAgeMs)
        await fetchNow().catch((err) => (jwks ? opts.onError?.(err) : Promise.reject(err)));
      return jwks as Jwks;
    },
    refresh,
    get unavailable() {
      return lastFailed;
    },
  };
};
