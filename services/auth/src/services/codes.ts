import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { CodePurpose, OneTimeCode } from '../db/schema/one-time-codes.ts';
import { type AuthDeps, addSeconds } from './deps.ts';

export const CODE_TTL_SECONDS = 10 * 60;
export const CODE_MAX_ATTEMPTS = 5;
export const LINK_TTL_SECONDS = 24 * 60 * 60;

/** A crypto-random 6-digit code and the row that stores only its hash; nothing is written yet. */
export const prepareCode = async (
  { passwords, now }: Pick<AuthDeps, 'passwords' | 'now'>,
  userId: string,
  purpose: CodePurpose,
  data: OneTimeCode['data'] = null,
): Promise<{ code: string; row: OneTimeCode }> => {
  const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
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
  if (!(await passwords.verify(live.codeHash, code))) return undefined;
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
