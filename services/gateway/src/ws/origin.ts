/** Decides which browser origins may open the socket; `undefined` Origin (not a browser) always passes. */
export type OriginCheck = (origin: string | undefined) => boolean;

const originOf = (url: string): string | undefined => {
  try {
    const { origin } = new URL(url);
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
};

/**
 * `WS_ALLOWED_ORIGINS`: a comma list of origins, or `*` for any. Unset: only PUBLIC_URL's origin.
 * Entries are normalised (`https://Example.com/` → `https://example.com`), as browsers send them.
 */
export const createOriginCheck = (allowed: string | undefined, publicUrl: string): OriginCheck => {
  const entries = (allowed ?? publicUrl)
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.includes('*')) return () => true;
  const origins = new Set(entries.map((e) => originOf(e) ?? e));
  return (origin) => origin === undefined || origins.has(originOf(origin) ?? origin);
};
