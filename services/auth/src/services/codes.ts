import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { CodeFormat } from '@parley/contracts';
import type { CodePurpose, OneTimeCode } from '../db/schema/one-time-codes.ts';
import { type AuthDeps, addSeconds } from './deps.ts';

export const CODE_TTL_SECONDS = 10 * 60;
export const CODE_MAX_ATTEMPTS = 5;
export const LINK_TTL_SECONDS = 24 * 60 * 60;

/** Four characters for the `status-codes` dialect: no 0/O or 1/I to misread; compared case-blind. */
const ALNUM4_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A crypto-random code in `format` (six digits unless a dialect asked for four letters/digits). */
export const newCode = (format: CodeFormat = 'digits6'): string =>
  format === 'alnum4'
    ? Array.from({ length: 4 }, () => ALNUM4_ALPHABET[randomInt(0, ALNUM4_ALPHABET.length)]).join('')
    : randomInt(0, 1_000_000).toString().padStart(6, '0');

/** What is hashed and compared: codes are case-blind (a 4-character code may be typed in lower case). */
export const normalizeCode = (code: string): string => code.toUpperCase();

/** A crypto-random code and the row that stores only its hash; nothing is written yet. */
export const prepareCode = async (
  { passwords, now }: Pick<AuthDeps, 'passwords' | 'now'>,
  userId: string,
  purpose: CodePurpose,
  data: OneTimeCode['data'] = null,
  format: CodeFormat = 'digits6',
): Promise<{ code: string; row: OneTimeCode }> => {
  const code = newCode(format);
  const createdAt = now();
  const row: OneTimeCode = {
    id: randomUUID(),
    userId,
    purpose,
    codeHash: await passwords.hash(code),
    attempts: 0,
    createdAt,
    expiresAt: addSeconds(createdAt, CODE_TTL_SECONDS),
    consumedAt: null,
    data,
  };
  return { code, row };
};

/**
 * Spends the user's live code of `purpose` if `code` matches. Every try counts against the code
 * before the comparison; after the fifth, even the right code is refused.
 */
export const checkCode = async (
  { repos, passwords, now }: Pick<AuthDeps, 'repos' | 'passwords' | 'now'>,
  userId: string | undefined,
  purpose: CodePurpose,
  code: string,
): Promise<OneTimeCode | undefined> => {
  const live = userId ? await repos.codes.findLive(userId, purpose, now()) : undefined;
  if (!live || !(await repos.codes.reserveAttempt(live.id, CODE_MAX_ATTEMPTS))) {
    // The same argon2 work as a real comparison, so a missing code looks like a wrong one.
    await passwords.verify(null, code);
    return undefined;
  }
  if (!(await passwords.verify(live.codeHash, normalizeCode(code)))) return undefined;
  return (await repos.codes.consume(live.id, now())) ? live : undefined;
};

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A 256-bit link token; only its sha256 is stored. */
export const prepareLink = (now: Date, userId: string) => {
  const token = randomBytes(32).toString('base64url');
  return {
    token,
    row: { hash: sha256(token), userId, createdAt: now, expiresAt: addSeconds(now, LINK_TTL_SECONDS), usedAt: null },
  };
};
