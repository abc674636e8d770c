import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { UrlKey } from '../db/schema/url-keys.ts';
import { epochSeconds, type MediaDeps } from './deps.ts';

export type Variant = 'original' | 'thumbnail';

// Copies re-read the keys at least this often, so a key rotated elsewhere is picked up.
const RELOAD_MS = 60_000;

export interface UrlSigner {
  /** Makes sure a signing key exists (the first copy to start creates it); call at start. */
  ensure(): Promise<void>;
  sign(mediaId: string, variant: Variant): Promise<{ exp: number; sig: string }>;
  /** Constant-time; false for an expired, tampered or foreign signature. */
  verify(mediaId: string, variant: Variant, signature: { sig: string; exp: number }): Promise<boolean>;
}

const mac = (secret: string, mediaId: string, variant: Variant, exp: number): string =>
  createHmac('sha256', Buffer.from(secret, 'base64url')).update(`${mediaId}.${variant}.${exp}`).digest('base64url');

export const createUrlSigner = (deps: Pick<MediaDeps, 'repos' | 'transaction' | 'config' | 'now'>): UrlSigner => {
  const { repos, transaction, config, now } = deps;
  const ttl = config.SIGNED_URL_TTL_SECONDS;
  // Expiries are rounded up to this step, so the same media gets the same URL for a while and
  // browsers can cache `<img src>`; a URL is then valid between TTL and TTL + step.
  const step = Math.max(60, Math.floor(ttl / 10));
  let cached: { keys: UrlKey[]; loadedAt: number } | undefined;

  const load = async (): Promise<UrlKey[]> => {
    if (cached && Date.now() - cached.loadedAt < RELOAD_MS && cached.keys.length > 0) return cached.keys;
    const keys = await repos.urlKeys.live(now());
    cached = { keys, loadedAt: Date.now() };
    return keys;
  };

  return {
    async ensure() {
      // Under an advisory lock, so copies starting together create one key, not one each.
      await transaction(async (tx) => {
        await tx.urlKeys.lock();
        if ((await tx.urlKeys.live(now())).length > 0) return;
        await tx.urlKeys.insert({
          id: randomUUID(),
          secret: randomBytes(32).toString('base64url'),
          createdAt: now(),
          retireAt: null,
        });
      });
      cached = undefined;
    },
    async sign(mediaId, variant) {
      const [key] = await load();
      if (!key) throw new Error('media: no URL signing key (ensure() was not called)');
      const exp = Math.ceil((epochSeconds(now()) + ttl) / step) * step;
      return { exp, sig: mac(key.secret, mediaId, variant, exp) };
    },
    async verify(mediaId, variant, { sig, exp }) {
      if (exp <= epochSeconds(now())) return false;
      // Compared as text, not decoded: base64url decoding ignores stray characters and spare bits.
      const given = Buffer.from(sig);
      let ok = false;
      for (const key of await load()) {
        const expected = Buffer.from(mac(key.secret, mediaId, variant, exp));
        // Every key is tried (no early exit), so timing tells nothing about which one matched.
        if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
      }
      return ok;
    },
  };
};
