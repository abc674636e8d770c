/** The five seed dialects (../shared/seeds/README.md), each a gateway plugin under `compat/<name>/`. */
export const DialectNames = ['captcha', 'groupchat', 'sessions', 'status-codes', 'xphoto'] as const;
export type DialectName = (typeof DialectNames)[number];

export interface DialectMount {
  name: DialectName;
  /** Where its paths start: `/compat/<name>` by default, `/` for the root. No trailing slash except the root. */
  prefix: string;
}

export const defaultPrefix = (name: DialectName): string => `/compat/${name}`;

const PREFIX = /^\/[A-Za-z0-9._~\-/]*$/;

/**
 * `COMPAT_DIALECTS`: unset, every dialect under `/compat/<name>`. Otherwise comma-separated entries applied over
 * that default: `name=/prefix` mounts one elsewhere (`xphoto=/` serves `/signup` at the root), `name=off` turns
 * one off, `name` alone keeps its default, and `none` first turns all of them off (`none,xphoto=/`: only xphoto).
 * Two dialects may not share a prefix (their paths would collide). Throws on anything else, naming the entry.
 */
export const parseCompatDialects = (value: string | undefined): DialectMount[] => {
  const mounts = new Map<DialectName, string | null>(DialectNames.map((n) => [n, defaultPrefix(n)]));
  const entries = (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  for (const entry of entries) {
    if (entry === 'none') {
      for (const name of DialectNames) mounts.set(name, null);
      continue;
    }
    const [rawName, ...rest] = entry.split('=');
    const name = rawName?.trim() as DialectName;
    if (!DialectNames.includes(name)) {
      throw new Error(`COMPAT_DIALECTS: unknown dialect "${rawName}" in "${entry}" (known: ${DialectNames.join(', ')}, none)`);
    }
    if (rest.length === 0) {
      mounts.set(name, defaultPrefix(name));
      continue;
    }
    const target = rest.join('=').trim();
    if (target === 'off') {
      mounts.set(name, null);
      continue;
    }
    if (!PREFIX.test(target) || target.includes('//')) {
      throw new Error(`COMPAT_DIALECTS: "${entry}" must be name=/prefix (a path starting with /) or name=off`);
    }
    mounts.set(name, target === '/' ? '/' : target.replace(/\/+$/, ''));
  }
  const result: DialectMount[] = [];
  const taken = new Map<string, DialectName>();
  for (const [name, prefix] of mounts) {
    if (prefix === null) continue;
    const other = taken.get(prefix);
    if (other) throw new Error(`COMPAT_DIALECTS: ${other} and ${name} are both mounted at ${prefix}`);
    if (prefix === '/api' || prefix.startsWith('/api/')) throw new Error(`COMPAT_DIALECTS: ${prefix} is the canonical API's`);
    // Its own paths are `/api/v1/auth/*`: at the root they would be the canonical API's.
    if (name === 'sessions' && prefix === '/')
      throw new Error('COMPAT_DIALECTS: sessions cannot be at / (its paths are /api/v1/auth/*)');
    taken.set(prefix, name);
    result.push({ name, prefix });
  }
  return result;
};
